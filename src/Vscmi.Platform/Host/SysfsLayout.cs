using Vscmi.Platform.Model;

namespace Vscmi.Platform.Host;

/// <summary>
/// Where the kernel puts each interface (Documentation/ABI/testing/sysfs-class-hwmon,
/// sysfs-class-thermal, sysfs-bus-iio, sysfs-class-powercap, sysfs-class-regulator,
/// sysfs-devices-system-cpu, sysfs-devices-power; the clk debugfs), and how a model names one
/// instance: by the name the driver gives it (stable across boots), or by its directory name.
/// </summary>
public static class SysfsLayout
{
    /// <summary>hwmon chips: <c>class/hwmon/hwmonN</c>, named by their <c>name</c> attribute.</summary>
    public static string? HwmonChip(HostModel host, string chip) => ByNameFile(Path.Combine(host.Sysfs, "class", "hwmon"), "hwmon", "name", chip);

    /// <summary>Thermal zones: <c>class/thermal/thermal_zoneN</c>, named by their <c>type</c>.</summary>
    public static string? ThermalZone(HostModel host, string zone) => ByNameFile(Path.Combine(host.Sysfs, "class", "thermal"), "thermal_zone", "type", zone);

    /// <summary>IIO devices: <c>bus/iio/devices/iio:deviceN</c>, named by their <c>name</c>.</summary>
    public static string? IioDevice(HostModel host, string device) => ByNameFile(Path.Combine(host.Sysfs, "bus", "iio", "devices"), "iio:device", "name", device);

    /// <summary>Regulators: <c>class/regulator/regulator.N</c>, named by their <c>name</c>.</summary>
    public static string? Regulator(HostModel host, string name) => ByNameFile(Path.Combine(host.Sysfs, "class", "regulator"), "regulator.", "name", name);

    /// <summary>Powercap zones: <c>class/powercap/ZONE</c> (such as <c>intel-rapl:0</c> or <c>arm-scmi:0</c>), by directory or <c>name</c>.</summary>
    public static string? PowercapZone(HostModel host, string zone) => ByNameFile(Path.Combine(host.Sysfs, "class", "powercap"), "", "name", zone);

    /// <summary>cpufreq policies: <c>devices/system/cpu/cpufreq/policyN</c>.</summary>
    public static string? CpufreqPolicy(HostModel host, string policy) => Existing(Path.Combine(host.Sysfs, "devices", "system", "cpu", "cpufreq", policy));

    /// <summary>Clocks: <c>clk/NAME</c> in debugfs (the common clock framework's tree, flattened by name).</summary>
    public static string? Clock(HostModel host, string name) => Existing(Path.Combine(host.Debugfs, "clk", name));

    /// <summary>A device directory under sysfs (<c>devices/platform/soc/foo</c>), for its <c>power/</c> attributes.</summary>
    public static string? Device(HostModel host, string path) => Existing(Path.Combine(host.Sysfs, path.TrimStart('/')));

    /// <summary>The directory for a host binding, or null when the host does not have it (now).</summary>
    public static string? Resolve(HostModel host, HostBinding binding) => binding.Kind switch
    {
        HostBackendKind.Cpufreq => CpufreqPolicy(host, binding.Target),
        HostBackendKind.Clk => Clock(host, binding.Target),
        HostBackendKind.Regulator => Regulator(host, binding.Target),
        HostBackendKind.RuntimePm => Device(host, binding.Target),
        HostBackendKind.Powercap => PowercapZone(host, binding.Target),
        _ => null,
    };

    /// <summary>Where a binding is looked for, for messages ("no regulator named 'x' under /sys/class/regulator").</summary>
    public static string Describe(HostModel host, HostBinding binding) => binding.Kind switch
    {
        HostBackendKind.Cpufreq => Path.Combine(host.Sysfs, "devices", "system", "cpu", "cpufreq", binding.Target),
        HostBackendKind.Clk => Path.Combine(host.Debugfs, "clk", binding.Target),
        HostBackendKind.Regulator => $"a regulator named '{binding.Target}' under {Path.Combine(host.Sysfs, "class", "regulator")}",
        HostBackendKind.RuntimePm => Path.Combine(host.Sysfs, binding.Target.TrimStart('/')),
        _ => $"a powercap zone '{binding.Target}' under {Path.Combine(host.Sysfs, "class", "powercap")}",
    };

    private static string? Existing(string path) => Directory.Exists(path) ? path : null;

    /// <summary>
    /// The entry of <paramref name="dir"/> whose directory name is <paramref name="wanted"/>, or
    /// else the first (by number) whose <paramref name="nameFile"/> holds it. Class directories
    /// hold symlinks to the devices; both count.
    /// </summary>
    private static string? ByNameFile(string dir, string prefix, string nameFile, string wanted)
    {
        if (wanted.Length == 0 || wanted.Contains('/') || wanted is "." or "..")
            return null;
        try
        {
            var direct = Path.Combine(dir, wanted);
            if (Directory.Exists(direct) && (prefix.Length == 0 || wanted.StartsWith(prefix, StringComparison.Ordinal)))
                return direct;
            foreach (var entry in Entries(dir, prefix))
            {
                var file = Path.Combine(entry, nameFile);
                if (File.Exists(file) && File.ReadAllText(file).Trim() == wanted)
                    return entry;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A class directory the daemon cannot list has nothing it can use.
        }

        return null;
    }

    /// <summary>The entries of a class directory with a prefix, in numeric order (hwmon2 before hwmon10).</summary>
    public static IEnumerable<string> Entries(string dir, string prefix)
    {
        if (!Directory.Exists(dir))
            return [];
        return Directory.EnumerateFileSystemEntries(dir, prefix + "*")
            .Where(Directory.Exists)
            .OrderBy(e => NumberSuffix(Path.GetFileName(e)[prefix.Length..]))
            .ThenBy(e => e, StringComparer.Ordinal)
            .ToList();
    }

    private static long NumberSuffix(string s)
    {
        var digits = new string([.. s.Reverse().TakeWhile(char.IsAsciiDigit).Reverse()]);
        return long.TryParse(digits, out var n) ? n : long.MaxValue;
    }
}

/// <summary>
/// What a host sensor channel measures: the SCMI unit, the power of ten its files are in, and the
/// exponent a model gets when it does not say (hwmon's units are fixed by its ABI: millidegrees,
/// millivolts, milliamps, microwatts, microjoules, RPM, milli-percent; IIO's processed units are
/// millivolts, milliamps, millidegrees, m/s², rad/s, lux, kPa).
/// </summary>
/// <param name="UnitType">The SCMI sensor unit (reference 2.6, sensor types).</param>
/// <param name="NativeExponent">The power of ten of the host's value.</param>
/// <param name="DefaultExponent">The unit_exponent a model gets by default.</param>
public sealed record HostChannelUnit(byte UnitType, int NativeExponent, int DefaultExponent)
{
    private const byte DegreesC = 2, Volts = 5, Amps = 6, Watts = 7, Joules = 8, Lux = 13, Kpa = 15, Rpm = 19, Percentage = 65, RadiansPerS = 87, MPerS2 = 89;

    /// <summary>hwmon channel types (the prefix of <c>temp1_input</c>).</summary>
    public static HostChannelUnit? Hwmon(string channel) => TypePrefix(channel) switch
    {
        "temp" => new(DegreesC, -3, -3),
        "in" => new(Volts, -3, -3),
        "curr" => new(Amps, -3, -3),
        "power" => new(Watts, -6, -6),
        "energy" => new(Joules, -6, -6),
        "fan" => new(Rpm, 0, 0),
        "humidity" => new(Percentage, -3, -3),
        _ => null,
    };

    /// <summary>IIO channel types (the type part of <c>in_accel_x</c>, <c>in_voltage0</c>).</summary>
    public static HostChannelUnit? Iio(string channel)
    {
        if (!channel.StartsWith("in_", StringComparison.Ordinal))
            return null;
        var type = TypePrefix(channel[3..]);
        return type switch
        {
            "voltage" => new(Volts, -3, -3),
            "current" => new(Amps, -3, -3),
            "power" => new(Watts, -3, -3),
            "temp" => new(DegreesC, -3, -3),
            "accel" => new(MPerS2, 0, -3),
            "anglvel" => new(RadiansPerS, 0, -3),
            "illuminance" => new(Lux, 0, 0),
            "pressure" => new(Kpa, 0, -3),
            "humidityrelative" => new(Percentage, -3, -3),
            _ => null,
        };
    }

    /// <summary>Thermal zones report millidegrees Celsius.</summary>
    public static HostChannelUnit Thermal { get; } = new(DegreesC, -3, -3);

    /// <summary>Powercap zones count microjoules.</summary>
    public static HostChannelUnit PowercapEnergy { get; } = new(Joules, -6, -6);

    /// <summary>hwmon channel names: letters then an index (<c>temp1</c>); IIO: letters up to an index or underscore.</summary>
    private static string TypePrefix(string channel)
    {
        var end = 0;
        while (end < channel.Length && char.IsAsciiLetterLower(channel[end]))
            end++;
        return channel[..end];
    }
}
