using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.Host;

/// <summary>
/// <c>vscmi config from-host</c>: a commented device model of what a host's sysfs (and clk
/// debugfs) has: every hwmon, thermal, IIO and powercap sensor, every cpufreq policy as a
/// performance domain, powercap zones, regulators and clocks. What SCMI or Linux cannot express
/// is left out with a comment saying why. Only reads.
/// </summary>
public static partial class HostDiscovery
{
    /// <summary>Linux 6.12 keeps at most 32 performance levels per domain (MAX_OPPS; reference 1.7).</summary>
    private const int MaxOpps = 32;

    /// <summary>Resource names: at most 63 printable ASCII characters (longer than 15 uses the extended name commands).</summary>
    private const int MaxName = 63;

    /// <summary>hwmon limit attributes (sysfs-class-hwmon) an agent may want trip points at.</summary>
    private static readonly string[] LimitSuffixes = ["_max", "_crit", "_min", "_lcrit"];

    /// <summary>Writes the model for the host at <paramref name="host"/>; <paramref name="control"/> lets agents change what can be changed.</summary>
    public static string Describe(HostModel host, bool control)
    {
        ArgumentNullException.ThrowIfNull(host);
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"# vscmi device model of this host's resources, written by 'vscmi config from-host' on {DateTime.UtcNow:yyyy-MM-dd}.");
        text.AppendLine("# Each resource reads the host through a backend (docs/host-backends.md). Agents may only read them" + (control ? "," : "."));
        text.AppendLine(control
            ? "# and change those marked 'control = true' (written to sysfs: run the daemon with the rights it needs)."
            : "# Add 'control = true' to a resource to let agents change it (written to sysfs); without it a change is DENIED.");
        text.AppendLine("# Check it with 'vscmi config check FILE'; trim what a VM should not see with an agent's view.");
        text.AppendLine();
        if (host != HostModel.Default)
        {
            text.AppendLine("[host]");
            text.AppendLine(c, $"sysfs = {Quote(host.Sysfs)}");
            text.AppendLine(c, $"debugfs = {Quote(host.Debugfs)}");
            text.AppendLine();
        }

        text.AppendLine("[platform]");
        text.AppendLine("vendor = \"vscmi\"");
        text.AppendLine("sub_vendor = \"host\"");
        text.AppendLine();
        text.AppendLine("[[agent]]");
        text.AppendLine("name = \"OSPM\"");
        text.AppendLine("trusted = true");
        text.AppendLine("socket = \"vscmi.sock\"");
        text.AppendLine();
        text.AppendLine("[[agent]]");
        text.AppendLine("name = \"guest\"");
        text.AppendLine("vhost_user = \"vscmi-guest.vhost.sock\"");
        text.AppendLine();

        var controlLine = control ? "control = true\n" : "";
        var found = new Dictionary<string, int>();
        Perf(host, text, controlLine, found);
        Sensors(host, text, found);
        Powercaps(host, text, controlLine, found);
        Regulators(host, text, controlLine, found);
        Clocks(host, text, controlLine, found);
        // Under the title: what was found (and, from Perf, the CPU links).
        text.Insert(text.ToString().IndexOf('\n', StringComparison.Ordinal) + 1, $"# Found: {string.Join(", ", found.Select(f => $"{f.Value} {f.Key}"))}{(found.Count == 0 ? "nothing SCMI can serve" : "")}.\n");
        return text.ToString();
    }

    private static void Count(Dictionary<string, int> found, string what) => found[what] = found.GetValueOrDefault(what) + 1;

    /// <summary>cpufreq policies: levels in kHz (level = frequency, so Linux's frequency is level × 1000 Hz).</summary>
    private static void Perf(HostModel host, StringBuilder text, string controlLine, Dictionary<string, int> found)
    {
        var c = CultureInfo.InvariantCulture;
        var dir = Path.Combine(host.Sysfs, "devices", "system", "cpu", "cpufreq");
        var names = new HashSet<string>();
        var cpuLinks = new List<(int Cpu, string Domain)>();
        foreach (var policy in SysfsLayout.Entries(dir, "policy"))
        {
            var name = Path.GetFileName(policy);
            // Boost frequencies (above the sustained ones) are levels too; the sustained level is the highest other one.
            var available = Frequencies(policy, "scaling_available_frequencies");
            var frequencies = available.Concat(Frequencies(policy, "scaling_boost_frequencies")).Distinct().Order().ToList();
            if (frequencies.Count == 0 && ReadUInt(policy, "cpuinfo_min_freq") is { } min && ReadUInt(policy, "cpuinfo_max_freq") is { } max && max >= min)
            {
                // No table (a driver without one): min to max in up to 8 even steps.
                var steps = max == min ? 0 : Math.Min(7, (int)((max - min) / 100000) + 1);
                frequencies = [.. Enumerable.Range(0, steps + 1).Select(i => steps == 0 ? min : (uint)(min + ((ulong)(max - min) * (uint)i / (uint)steps))).Distinct()];
            }

            if (frequencies.Count == 0)
            {
                text.AppendLine(c, $"# {name}: left out: neither scaling_available_frequencies nor cpuinfo_min_freq/cpuinfo_max_freq can be read.");
                text.AppendLine();
                continue;
            }

            if (frequencies.Count > MaxOpps)
            {
                text.AppendLine(c, $"# {name}: left out: {frequencies.Count} frequencies, and Linux accepts at most {MaxOpps} levels per SCMI performance domain.");
                text.AppendLine();
                continue;
            }

            var cpus = Read(policy, "related_cpus") ?? Read(policy, "affected_cpus") ?? "";
            foreach (var cpu in cpus.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(cpu, c, out var id))
                    cpuLinks.Add((id, name));
            }

            var cur = ReadUInt(policy, "scaling_cur_freq") ?? frequencies[^1];
            var initial = frequencies.MinBy(f => Math.Abs((long)f - cur));
            text.AppendLine(c, $"# cpufreq {name}: CPUs {cpus}; levels are kHz{(frequencies.Count > available.Count && available.Count > 0 ? $", those above {available.Max()} boost frequencies" : "")}. Power costs are estimates (1 mW per 10 MHz): edit them.");
            text.AppendLine("[[perf]]");
            text.AppendLine(c, $"name = {Quote(Unique(names, name))}");
            var sustained = available.Count > 0 ? available.Max() : frequencies[^1];
            text.AppendLine(c, $"sustained_freq_khz = {sustained}");
            text.AppendLine(c, $"sustained_level = {sustained}");
            text.AppendLine(c, $"level = {initial}");
            text.AppendLine(c, $"rate_limit_us = {Math.Min(ReadUInt(policy, "cpuinfo_transition_latency") is { } ns ? ns / 1000 : 0, 0xFFFFF)}");
            text.AppendLine(c, $"backend = {{ kind = \"cpufreq\", policy = {Quote(name)} }}");
            text.Append(controlLine);
            text.AppendLine("opps = [");
            var latency = Math.Min(ReadUInt(policy, "cpuinfo_transition_latency") is { } l ? l / 1000 : 0, ushort.MaxValue);
            foreach (var f in frequencies)
                text.AppendLine(c, $"  {{ level = {f}, power_mw = {Math.Max(1, f / 10000)}, latency_us = {latency} }},");
            text.AppendLine("]");
            text.AppendLine();
            Count(found, "performance domain(s)");
        }

        if (cpuLinks.Count > 0)
        {
            var ordered = cpuLinks.OrderBy(l => l.Cpu).ToList();
            text.Insert(text.ToString().IndexOf('\n', StringComparison.Ordinal) + 1, $"# CPU links for the guest's device tree: vscmi dt --config FILE --cpus {string.Join(",", ordered.Select(l => l.Domain))}\n");
        }
    }

    /// <summary>hwmon channels, thermal zones, IIO channels and powercap energy counters.</summary>
    private static void Sensors(HostModel host, StringBuilder text, Dictionary<string, int> found)
    {
        var c = CultureInfo.InvariantCulture;
        var names = new HashSet<string>();
        void Sensor(string name, string source, string comment, int trips = 0)
        {
            text.AppendLine(c, $"# {comment}");
            text.AppendLine("[[sensor]]");
            text.AppendLine(c, $"name = {Quote(Unique(names, name))}");
            if (trips > 0)
                text.AppendLine(c, $"trip_points = {trips}");
            text.AppendLine(c, $"source = {source}");
            text.AppendLine();
            Count(found, "sensor(s)");
        }

        foreach (var chip in SysfsLayout.Entries(Path.Combine(host.Sysfs, "class", "hwmon"), "hwmon"))
        {
            var chipName = Read(chip, "name") ?? Path.GetFileName(chip);
            var channels = Files(chip).Select(f => HwmonInput().Match(f)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct()
                .OrderBy(ch => ch, StringComparer.Ordinal).ToList();
            foreach (var channel in channels)
            {
                var label = Read(chip, channel + "_label");
                var limits = LimitSuffixes.Where(s => Read(chip, channel + s) is not null).ToList();
                var trips = Math.Min(limits.Count, 2);
                var comment = $"hwmon {Path.GetFileName(chip)} ({chipName}) {channel}{(label is null ? "" : $", label '{label}'")}"
                    + (limits.Count > 0 ? $"; host limits {string.Join(", ", limits.Select(s => $"{channel}{s} = {Read(chip, channel + s)}"))}: an agent can set trip points at them" : "");
                Sensor(label ?? $"{chipName}_{channel}", $"{{ kind = \"hwmon\", chip = {Quote(chipName)}, channel = \"{channel}\" }}", comment, trips);
            }
        }

        foreach (var zone in SysfsLayout.Entries(Path.Combine(host.Sysfs, "class", "thermal"), "thermal_zone"))
        {
            if (Read(zone, "temp") is null)
                continue;
            var type = Read(zone, "type") ?? Path.GetFileName(zone);
            var trips = Files(zone).Where(f => f.StartsWith("trip_point_", StringComparison.Ordinal) && f.EndsWith("_temp", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            var comment = $"thermal {Path.GetFileName(zone)} ({type})" + (trips.Count > 0 ? $"; host trip points {string.Join(", ", trips.Select(t => Read(zone, t)))} m°C" : "");
            Sensor(type, $"{{ kind = \"thermal\", zone = {Quote(type)} }}", comment, Math.Min(trips.Count, 4));
        }

        foreach (var device in SysfsLayout.Entries(Path.Combine(host.Sysfs, "bus", "iio", "devices"), "iio:device"))
        {
            var deviceName = Read(device, "name") ?? Path.GetFileName(device);
            var channels = Files(device).Select(f => IioChannel().Match(f)).Where(m => m.Success).Select(m => m.Groups[1].Value)
                .Where(ch => HostChannelUnit.Iio(ch) is not null).Distinct().OrderBy(ch => ch, StringComparer.Ordinal).ToList();
            // x/y/z channels of one type are one sensor with axes (SCMI v3 multi-axis; what Linux's IIO_SCMI serves back).
            var axisGroups = channels.Select(ch => IioAxis().Match(ch)).Where(m => m.Success).GroupBy(m => m.Groups[1].Value)
                .Where(g => g.Count() >= 2).ToDictionary(g => g.Key, g => g.Select(m => m.Value).Order(StringComparer.Ordinal).ToList());
            foreach (var (type, axisChannels) in axisGroups)
            {
                text.AppendLine(c, $"# IIO {Path.GetFileName(device)} ({deviceName}) {string.Join(", ", axisChannels)}: one sensor, an axis each");
                text.AppendLine("[[sensor]]");
                text.AppendLine(c, $"name = {Quote(Unique(names, $"{deviceName}_{type}"))}");
                text.AppendLine("axes = [");
                // Axis names end in _X/_Y/_Z: Linux's IIO_SCMI takes its channel modifier from them.
                foreach (var axis in axisChannels)
                    text.AppendLine(c, $"  {{ name = \"{type}_{char.ToUpperInvariant(axis[^1])}\", source = {{ kind = \"iio\", device = {Quote(deviceName)}, channel = \"{axis}\" }} }},");
                text.AppendLine("]");
                text.AppendLine();
                Count(found, "sensor(s)");
            }

            foreach (var channel in channels.Where(ch => !axisGroups.Values.Any(g => g.Contains(ch))))
                Sensor($"{deviceName}_{channel[3..]}", $"{{ kind = \"iio\", device = {Quote(deviceName)}, channel = \"{channel}\" }}", $"IIO {Path.GetFileName(device)} ({deviceName}) {channel}");
        }

        foreach (var zone in PowercapZones(host))
        {
            if (Read(zone, "energy_uj") is null)
                continue;
            var zoneName = Path.GetFileName(zone);
            Sensor($"{Read(zone, "name") ?? zoneName}_energy", $"{{ kind = \"powercap\", zone = {Quote(zoneName)} }}", $"powercap {zoneName} energy counter (µJ)");
        }
    }

    private static List<string> PowercapZones(HostModel host)
    {
        var dir = Path.Combine(host.Sysfs, "class", "powercap");
        return Directory.Exists(dir)
            ? Directory.EnumerateDirectories(dir).Where(z => Path.GetFileName(z).Contains(':', StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>Powercap zones with a constraint: caps in mW on a 1 mW step up to the zone's range.</summary>
    private static void Powercaps(HostModel host, StringBuilder text, string controlLine, Dictionary<string, int> found)
    {
        var c = CultureInfo.InvariantCulture;
        var names = new HashSet<string>();
        foreach (var zone in PowercapZones(host))
        {
            var zoneName = Path.GetFileName(zone);
            if (ReadUInt64(zone, "constraint_0_power_limit_uw") is not { } limitUw)
                continue;
            var maxUw = ReadUInt64(zone, "constraint_0_max_power_uw") ?? ReadUInt64(zone, "max_power_range_uw") ?? 0;
            var maxMw = (uint)Math.Min(maxUw / 1000, uint.MaxValue);
            if (maxMw < 2)
            {
                text.AppendLine(c, $"# powercap {zoneName}: left out: no usable maximum (constraint_0_max_power_uw / max_power_range_uw), and SCMI needs min < max.");
                text.AppendLine();
                continue;
            }

            var capMw = (uint)Math.Clamp(limitUw / 1000, 1, maxMw);
            var windowUs = (uint)Math.Clamp(ReadUInt64(zone, "constraint_0_time_window_us") ?? 1000, 1000, 10_000_000);
            text.AppendLine(c, $"# powercap {zoneName} ({Read(zone, "name") ?? zoneName}): constraint 0; measured power from power_uw or energy_uj.");
            text.AppendLine("[[powercap]]");
            text.AppendLine(c, $"name = {Quote(Unique(names, Read(zone, "name") ?? zoneName))}");
            text.AppendLine(c, $"backend = {{ kind = \"powercap\", zone = {Quote(zoneName)} }}");
            text.Append(controlLine);
            text.AppendLine(c, $"min_cap_mw = 1");
            text.AppendLine(c, $"max_cap_mw = {maxMw}");
            text.AppendLine("cap_step_mw = 1");
            text.AppendLine(c, $"cap_mw = {capMw}");
            text.AppendLine("min_pai_us = 1000");
            text.AppendLine("max_pai_us = 10000000");
            text.AppendLine("pai_step_us = 1");
            text.AppendLine(c, $"pai_us = {windowUs}");
            text.AppendLine();
            Count(found, "powercap domain(s)");
        }
    }

    /// <summary>Regulators with a voltage: their constraints (min, present, max) as levels.</summary>
    private static void Regulators(HostModel host, StringBuilder text, string controlLine, Dictionary<string, int> found)
    {
        var c = CultureInfo.InvariantCulture;
        var names = new HashSet<string>();
        foreach (var regulator in SysfsLayout.Entries(Path.Combine(host.Sysfs, "class", "regulator"), "regulator."))
        {
            var name = Read(regulator, "name") ?? Path.GetFileName(regulator);
            if (ReadInt(regulator, "microvolts") is not { } uv)
            {
                text.AppendLine(c, $"# regulator {Path.GetFileName(regulator)} ({name}): left out: it reports no voltage (microvolts), which a voltage domain needs.");
                text.AppendLine();
                continue;
            }

            int[] levels = [.. new[] { ReadInt(regulator, "min_microvolts"), uv, ReadInt(regulator, "max_microvolts") }.OfType<int>().Where(v => v > 0 || v == uv).Distinct().Order()];
            text.AppendLine(c, $"# regulator {Path.GetFileName(regulator)} ({name}): {Read(regulator, "type") ?? "voltage"}; sysfs cannot set its voltage, a reg-userspace-consumer can switch it ('consumer = ...').");
            text.AppendLine("[[voltage_domain]]");
            text.AppendLine(c, $"name = {Quote(Unique(names, name))}");
            text.AppendLine(c, $"levels_uv = [{string.Join(", ", levels)}]");
            text.AppendLine(c, $"level_uv = {uv}");
            text.AppendLine(c, $"on = {(Read(regulator, "state") == "disabled" ? "false" : "true")}");
            text.AppendLine(c, $"backend = {{ kind = \"regulator\", regulator = {Quote(name)} }}");
            text.Append(controlLine);
            text.AppendLine();
            Count(found, "voltage domain(s)");
        }
    }

    /// <summary>Clocks in the clk debugfs: the present rate (SCMI wants 1 to 16 discrete rates, and the host lists none).</summary>
    private static void Clocks(HostModel host, StringBuilder text, string controlLine, Dictionary<string, int> found)
    {
        var c = CultureInfo.InvariantCulture;
        var dir = Path.Combine(host.Debugfs, "clk");
        if (!Directory.Exists(dir))
        {
            text.AppendLine(c, $"# clocks: none: {dir} does not exist (debugfs mounted? CONFIG_COMMON_CLK and CONFIG_DEBUG_FS?).");
            return;
        }

        var clocks = Directory.EnumerateDirectories(dir).Where(d => File.Exists(Path.Combine(d, "clk_rate"))).Order(StringComparer.Ordinal).ToList();
        // The clocks that make it into the model (a parent must be one of them).
        var names = new HashSet<string>();
        foreach (var clock in clocks)
        {
            var name = Path.GetFileName(clock);
            if (!SafeName(name))
                text.AppendLine(c, $"# clock '{Sanitize(name)}': left out: its name is not 1 to {MaxName} printable characters.");
            else if (ReadUInt64(clock, "clk_rate") is not > 0)
                text.AppendLine(c, $"# clock {name}: left out: no positive rate in clk_rate (SCMI rates are positive).");
            else
                names.Add(name);
        }

        foreach (var clock in clocks)
        {
            var name = Path.GetFileName(clock);
            if (!names.Contains(name))
                continue;
            var rate = ReadUInt64(clock, "clk_rate")!.Value;

            var parent = Read(clock, "clk_parent");
            text.AppendLine(c, $"# clock {name}: enable count {Read(clock, "clk_enable_count") ?? "?"}");
            text.AppendLine("[[clock]]");
            text.AppendLine(c, $"name = {Quote(name)}");
            text.AppendLine(c, $"rates = [{rate}]");
            text.AppendLine(c, $"enabled = {(ReadUInt64(clock, "clk_enable_count") is > 0 ? "true" : "false")}");
            if (parent is not null && parent != name && names.Contains(parent) && SafeName(parent))
                text.AppendLine(c, $"parents = [{Quote(parent)}]");
            text.AppendLine(c, $"backend = {{ kind = \"clk\", clock = {Quote(name)} }}");
            text.Append(controlLine);
            text.AppendLine();
            Count(found, "clock(s)");
        }
    }

    private static bool SafeName(string name) => name.Length is > 0 and <= MaxName && name.All(ch => ch is >= ' ' and <= '~') && !name.Contains('"') && !name.Contains('\\');

    /// <summary>A resource name the model accepts: printable ASCII, at most 63 characters, unique in its kind.</summary>
    private static string Unique(HashSet<string> taken, string wanted)
    {
        var name = Sanitize(wanted);
        if (name.Length == 0)
            name = "resource";
        if (name.Length > MaxName)
            name = name[..MaxName];
        var candidate = name;
        for (var n = 2; !taken.Add(candidate); n++)
        {
            var suffix = $"_{n}";
            candidate = (name.Length + suffix.Length > MaxName ? name[..(MaxName - suffix.Length)] : name) + suffix;
        }

        return candidate;
    }

    private static string Sanitize(string s) => new([.. s.Select(ch => ch is > ' ' and <= '~' and not '"' and not '\\' ? ch : '_')]);

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static IEnumerable<string> Files(string dir)
    {
        try
        {
            return [.. Directory.EnumerateFiles(dir).Select(Path.GetFileName).OfType<string>()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Read(string dir, string attribute)
    {
        try
        {
            var path = Path.Combine(dir, attribute);
            if (!File.Exists(path))
                return null;
            var text = File.ReadAllText(path).Trim();
            // Attributes are ASCII (names, numbers); anything else is not something to put in a model.
            return text.Length is > 0 and <= 4096 && text.All(ch => ch is (>= ' ' and <= '~') or '\n' or '\t') ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<uint> Frequencies(string policy, string attribute) => Read(policy, attribute) is { } list
        ? [.. list.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(f => uint.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).Where(v => v > 0)]
        : [];

    private static uint? ReadUInt(string dir, string attribute) => uint.TryParse(Read(dir, attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static ulong? ReadUInt64(string dir, string attribute) => ulong.TryParse(Read(dir, attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static int? ReadInt(string dir, string attribute) => int.TryParse(Read(dir, attribute), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex(@"^((?:temp|in|curr|power|energy|fan|humidity)\d+)_input$")]
    private static partial Regex HwmonInput();

    [GeneratedRegex(@"^(in_[a-z]+(?:\d+|_[a-z]+)?)_(?:raw|input)$")]
    private static partial Regex IioChannel();

    [GeneratedRegex(@"^in_([a-z]+)_[xyz]$")]
    private static partial Regex IioAxis();
}
