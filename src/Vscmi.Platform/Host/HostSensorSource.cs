using Vscmi.Platform.Model;
using Vscmi.Platform.Sensors;

namespace Vscmi.Platform.Host;

/// <summary>
/// A sensor read from the host: a hwmon channel, a thermal zone, an IIO channel or a powercap
/// zone's energy counter. Readings come from a cache that <see cref="Refresh"/> fills off the
/// dispatch lock (the platform's host poller, once per update interval), so a slow or hung sysfs
/// read never stalls an agent's SENSOR_READING_GET, and another VM's even less.
/// </summary>
public sealed class HostSensorSource : SensorSource
{
    private readonly HostModel _host;
    private readonly SensorSourceModel _model;
    private readonly HostFiles _files;
    private readonly double _toScmi;
    private readonly TimeSpan _interval;
    private long _value;
    private volatile bool _valid;
    private TimeSpan? _lastRefresh;
    private string? _device;

    /// <summary>A host sensor converted to the sensor's unit exponent.</summary>
    /// <param name="host">Where sysfs is.</param>
    /// <param name="model">The source: kind, device and channel.</param>
    /// <param name="unitExponent">The sensor's unit_exponent (readings are integers in 10^this).</param>
    /// <param name="updateInterval">How often the host is read.</param>
    /// <param name="files">Host file access (logs failures once).</param>
    public HostSensorSource(HostModel host, SensorSourceModel model, int unitExponent, TimeSpan updateInterval, HostFiles files)
    {
        _host = host;
        _model = model;
        _files = files;
        _interval = updateInterval;
        var unit = UnitOf(model) ?? throw new ArgumentException($"no unit for host sensor channel '{model.Channel}'", nameof(model));
        _toScmi = Math.Pow(10, unit.NativeExponent - unitExponent);
    }

    /// <summary>The unit a host source's channel has (null: a channel the backends do not know).</summary>
    public static HostChannelUnit? UnitOf(SensorSourceModel model) => model.Kind switch
    {
        SensorSourceKind.Hwmon => HostChannelUnit.Hwmon(model.Channel ?? ""),
        SensorSourceKind.Thermal => HostChannelUnit.Thermal,
        SensorSourceKind.Iio => HostChannelUnit.Iio(model.Channel ?? ""),
        SensorSourceKind.PowercapEnergy => HostChannelUnit.PowercapEnergy,
        _ => null,
    };

    /// <summary>The status of the last host read (SUCCESS, HARDWARE_ERROR, DENIED).</summary>
    public ScmiStatus LastStatus { get; private set; } = ScmiStatus.HARDWARE_ERROR;

    /// <inheritdoc/>
    public override bool TryRead(TimeSpan sinceStart, out long value)
    {
        value = Interlocked.Read(ref _value);
        return _valid;
    }

    /// <summary>
    /// Reads the host when the update interval has passed since the last read (or always with
    /// <paramref name="force"/>). Called by the host poller, never under the dispatch lock.
    /// </summary>
    public void Refresh(TimeSpan now, bool force = false)
    {
        if (!force && _lastRefresh is { } last && now - last < _interval)
            return;
        _lastRefresh = now;
        LastStatus = ReadHost(out var native);
        if (LastStatus == ScmiStatus.SUCCESS)
        {
            var scmi = Math.Round(native * _toScmi, MidpointRounding.AwayFromZero);
            Interlocked.Exchange(ref _value, scmi >= long.MaxValue ? long.MaxValue : scmi <= long.MinValue ? long.MinValue : (long)scmi);
        }

        _valid = LastStatus == ScmiStatus.SUCCESS;
    }

    private ScmiStatus ReadHost(out double native)
    {
        native = 0;
        // hwmon, thermal and powercap: one integer attribute in the device's directory.
        var (file, what, dir) = _model.Kind switch
        {
            SensorSourceKind.Hwmon => (_model.Channel + "_input", "hwmon chip", Path.Combine("class", "hwmon")),
            SensorSourceKind.Thermal => ("temp", "thermal zone", Path.Combine("class", "thermal")),
            SensorSourceKind.PowercapEnergy => ("energy_uj", "powercap zone", Path.Combine("class", "powercap")),
            _ => (null, "IIO device", Path.Combine("bus", "iio", "devices")),
        };
        if (Device() is not { } device)
            return _files.Missing($"{what} '{_model.Device}' under {Path.Combine(_host.Sysfs, dir)}");
        if (file is null)
            return ReadIio(device, out native);
        var status = _files.TryReadInteger(Path.Combine(device, file), out var value);
        native = value;
        return status;
    }

    /// <summary>
    /// The device's directory: found by name once, and again only when it is gone (a driver
    /// rebound as another hwmonN), not by listing the class directory at every refresh.
    /// </summary>
    private string? Device()
    {
        if (_device is not null && Directory.Exists(_device))
            return _device;
        return _device = _model.Kind switch
        {
            SensorSourceKind.Hwmon => SysfsLayout.HwmonChip(_host, _model.Device!),
            SensorSourceKind.Thermal => SysfsLayout.ThermalZone(_host, _model.Device!),
            SensorSourceKind.PowercapEnergy => SysfsLayout.PowercapZone(_host, _model.Device!),
            _ => SysfsLayout.IioDevice(_host, _model.Device!),
        };
    }

    /// <summary>
    /// An IIO channel: <c>_input</c> when the driver processes it, else (<c>_raw</c> + <c>_offset</c>)
    /// × <c>_scale</c>, where scale and offset may be the channel's own or shared by its type
    /// (<c>in_accel_scale</c> for <c>in_accel_x</c>; sysfs-bus-iio).
    /// </summary>
    private ScmiStatus ReadIio(string device, out double native)
    {
        native = 0;
        var channel = _model.Channel!;
        var input = Path.Combine(device, channel + "_input");
        if (HostFiles.Exists(input))
            return _files.TryReadNumber(input, out native);
        var status = _files.TryReadNumber(Path.Combine(device, channel + "_raw"), out var raw);
        if (status != ScmiStatus.SUCCESS)
            return status;
        var scale = 1.0;
        if (Attribute(device, channel, "_scale") is { } scaleFile && (status = _files.TryReadNumber(scaleFile, out scale)) != ScmiStatus.SUCCESS)
            return status;
        var offset = 0.0;
        if (Attribute(device, channel, "_offset") is { } offsetFile && (status = _files.TryReadNumber(offsetFile, out offset)) != ScmiStatus.SUCCESS)
            return status;
        native = (raw + offset) * scale;
        return ScmiStatus.SUCCESS;
    }

    /// <summary>The channel's own attribute, or the one its type shares (in_accel_x → in_accel).</summary>
    private static string? Attribute(string device, string channel, string suffix)
    {
        var own = Path.Combine(device, channel + suffix);
        if (HostFiles.Exists(own))
            return own;
        var shared = channel;
        while (shared.Length > 3 && (char.IsAsciiDigit(shared[^1]) || shared.LastIndexOf('_') > 2))
        {
            var cut = char.IsAsciiDigit(shared[^1]) ? shared.TrimEnd("0123456789".ToCharArray()) : shared[..shared.LastIndexOf('_')];
            if (cut == shared)
                break;
            shared = cut;
            var file = Path.Combine(device, shared + suffix);
            if (HostFiles.Exists(file))
                return file;
        }

        return null;
    }
}
