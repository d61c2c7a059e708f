using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Agent;

/// <summary>Sensor management (0x15, v3.0 layouts).</summary>
public sealed class SensorClient : ProtocolClient
{
    internal SensorClient(ScmiClient client)
        : base(client, ScmiProtocolId.SENSOR)
    {
    }

    /// <summary>SENSOR_DESCRIPTION_GET, every part (+ SENSOR_NAME_GET for long names).</summary>
    public async IAsyncEnumerable<SensorInfo> DescribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var descriptors = new List<Protocol.Schema.FieldSet>();
        await foreach (var d in ListAsync((byte)SensorMessageId.SENSOR_DESCRIPTION_GET, "desc_index", "descriptors", _ => [], cancellationToken).ConfigureAwait(false))
            descriptors.Add(d);
        foreach (var d in descriptors)
        {
            var id = (uint)d.GetUInt64("sensor_id");
            var name = await FullNameAsync(d, d.GetUInt64("extended_name") != 0, (byte)SensorMessageId.SENSOR_NAME_GET, id, cancellationToken, "sensor_id").ConfigureAwait(false);
            yield return new SensorInfo(id, name, (byte)d.GetUInt64("sensor_type"), (int)d.GetInt64("unit_exponent"), (int)d.GetUInt64("num_trip_points"),
                d.GetUInt64("async_read") != 0, (int)d.GetUInt64("num_axes"));
        }
    }

    /// <summary>SENSOR_READING_GET (synchronous): one reading per axis, one for a scalar sensor.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var r = await CallAsync((byte)SensorMessageId.SENSOR_READING_GET, cancellationToken, ("sensor_id", sensorId), ("async", 0)).ConfigureAwait(false);
        return r.GetRecords("readings").Select(x => new SensorReading(x.GetInt64("value"), x.GetUInt64("timestamp"))).ToList();
    }

    /// <summary>SENSOR_TRIP_POINT_NOTIFY.</summary>
    public Task NotifyTripPointsAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, cancellationToken, ("sensor_id", sensorId), ("event_control", enable ? 1u : 0));

    /// <summary>SENSOR_TRIP_POINT_CONFIG: direction 0 disabled, 1 positive, 2 negative, 3 both.</summary>
    public Task ConfigureTripPointAsync(uint sensorId, uint tripPointId, uint direction, long value, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_TRIP_POINT_CONFIG, cancellationToken, ("sensor_id", sensorId), ("direction", direction), ("trip_point_id", tripPointId), ("trip_point_value", unchecked((ulong)value)));

    /// <summary>SENSOR_LIST_UPDATE_INTERVALS, every part, as (seconds, exponent) pairs.</summary>
    public async IAsyncEnumerable<(uint Seconds, int Exponent)> ListUpdateIntervalsAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var i in ListAsync((byte)SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, "index", "intervals", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
            yield return ((uint)i.GetUInt64("seconds"), (int)i.GetInt64("exponent"));
    }

    /// <summary>SENSOR_CONFIG_GET.</summary>
    public async Task<(bool Enabled, uint IntervalSeconds, int IntervalExponent)> GetConfigAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var c = await CallAsync((byte)SensorMessageId.SENSOR_CONFIG_GET, cancellationToken, ("sensor_id", sensorId)).ConfigureAwait(false);
        return (c.GetUInt64("enabled") != 0, (uint)c.GetUInt64("update_interval_seconds"), (int)c.GetInt64("update_interval_exponent"));
    }

    /// <summary>SENSOR_CONFIG_SET.</summary>
    public Task SetConfigAsync(uint sensorId, bool enabled, uint intervalSeconds = 0, int intervalExponent = 0, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_CONFIG_SET, cancellationToken, ("sensor_id", sensorId), ("enabled", enabled ? 1u : 0),
            ("update_interval_seconds", intervalSeconds), ("update_interval_exponent", unchecked((ulong)(long)intervalExponent)));

    /// <summary>SENSOR_CONTINUOUS_UPDATE_NOTIFY.</summary>
    public Task NotifyContinuousUpdatesAsync(uint sensorId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, cancellationToken, ("sensor_id", sensorId), ("notify_enable", enable ? 1u : 0));
}

/// <summary>A sensor.</summary>
public sealed record SensorInfo(uint Id, string Name, byte UnitType, int UnitExponent, int TripPoints, bool AsyncRead, int Axes);

/// <summary>A reading: value in units of 10^unit_exponent, and a timestamp (0 when not supported).</summary>
public sealed record SensorReading(long Value, ulong Timestamp);

/// <summary>Reset domain management (0x16).</summary>
public sealed class ResetClient : ProtocolClient
{
    internal ResetClient(ScmiClient client)
        : base(client, ScmiProtocolId.RESET)
    {
    }

    /// <summary>Number of reset domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>RESET_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<ResetDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)ResetMessageId.RESET_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.GetUInt64("extended_name") != 0, (byte)ResetMessageId.RESET_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new ResetDomainInfo(domainId, name, (uint)a.GetUInt64("latency_us"), a.GetUInt64("async_reset") != 0, a.GetUInt64("reset_notify") != 0);
    }

    /// <summary>RESET, autonomous (assert then deassert) cold reset.</summary>
    public Task ResetAsync(uint domainId, CancellationToken cancellationToken = default) => SendAsync(domainId, autonomous: 1, assert: 0, cancellationToken);

    /// <summary>RESET with explicit assert (true) or deassert (false).</summary>
    public Task SetAssertedAsync(uint domainId, bool asserted, CancellationToken cancellationToken = default) =>
        SendAsync(domainId, autonomous: 0, assert: asserted ? 1u : 0, cancellationToken);

    /// <summary>RESET_NOTIFY.</summary>
    public Task NotifyAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ResetMessageId.RESET_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    private Task<Protocol.Schema.FieldSet> SendAsync(uint domainId, uint autonomous, uint assert, CancellationToken cancellationToken) =>
        CallAsync((byte)ResetMessageId.RESET, cancellationToken, ("domain_id", domainId), ("autonomous", autonomous), ("explicit_assert", assert), ("async", 0), ("reset_id", 0), ("reset_type", 0));
}

/// <summary>A reset domain.</summary>
public sealed record ResetDomainInfo(uint Id, string Name, uint LatencyUs, bool AsyncReset, bool Notifies);

/// <summary>Voltage domain management (0x17).</summary>
public sealed class VoltageClient : ProtocolClient
{
    internal VoltageClient(ScmiClient client)
        : base(client, ScmiProtocolId.VOLTAGE)
    {
    }

    /// <summary>Number of voltage domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>VOLTAGE_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<VoltageDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.GetUInt64("extended_name") != 0, (byte)VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new VoltageDomainInfo(domainId, name, a.GetUInt64("async_level_set") != 0);
    }

    /// <summary>VOLTAGE_DESCRIBE_LEVELS, every part: discrete levels or a (min, max, step) range, in µV.</summary>
    public async Task<(IReadOnlyList<int>? Levels, (int Min, int Max, int Step)? Range)> DescribeLevelsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var levels = new List<int>();
        for (var index = 0; ;)
        {
            var reply = await CallAsync((byte)VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, cancellationToken, ("domain_id", domainId), ("level_index", (ulong)index)).ConfigureAwait(false);
            var part = reply.GetNumbers("levels_uv").Select(v => (int)(long)v).ToList();
            if (reply.GetUInt64("format") == 1)
                return (null, (part[0], part[1], part[2]));
            levels.AddRange(part);
            index += part.Count;
            if (part.Count == 0 || reply.GetUInt64("remaining") == 0)
                return (levels, null);
        }
    }

    /// <summary>VOLTAGE_CONFIG_SET: 0x7 on, 0x0 off.</summary>
    public Task SetConfigAsync(uint domainId, uint mode, CancellationToken cancellationToken = default) =>
        CallAsync((byte)VoltageMessageId.VOLTAGE_CONFIG_SET, cancellationToken, ("domain_id", domainId), ("mode", mode));

    /// <summary>VOLTAGE_CONFIG_GET.</summary>
    public async Task<uint> GetConfigAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)VoltageMessageId.VOLTAGE_CONFIG_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("mode");

    /// <summary>VOLTAGE_LEVEL_SET (synchronous), in µV.</summary>
    public Task SetLevelAsync(uint domainId, int microvolts, CancellationToken cancellationToken = default) =>
        CallAsync((byte)VoltageMessageId.VOLTAGE_LEVEL_SET, cancellationToken, ("domain_id", domainId), ("async", 0), ("voltage_level_uv", unchecked((ulong)(long)microvolts)));

    /// <summary>VOLTAGE_LEVEL_GET, in µV.</summary>
    public async Task<int> GetLevelAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (int)(await CallAsync((byte)VoltageMessageId.VOLTAGE_LEVEL_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetInt64("voltage_level_uv");
}

/// <summary>A voltage domain.</summary>
public sealed record VoltageDomainInfo(uint Id, string Name, bool AsyncLevelSet);

/// <summary>Power capping (0x18).</summary>
public sealed class PowercapClient : ProtocolClient
{
    internal PowercapClient(ScmiClient client)
        : base(client, ScmiProtocolId.POWERCAP)
    {
    }

    /// <summary>POWERCAP_DOMAIN_ATTRIBUTES, as decoded fields.</summary>
    public Task<Protocol.Schema.FieldSet> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId));

    /// <summary>POWERCAP_CAP_GET.</summary>
    public async Task<uint> GetCapAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PowercapMessageId.POWERCAP_CAP_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("power_cap");

    /// <summary>POWERCAP_CAP_SET (synchronous).</summary>
    public Task SetCapAsync(uint domainId, uint cap, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_CAP_SET, cancellationToken, ("domain_id", domainId), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", cap));

    /// <summary>POWERCAP_MEASUREMENTS_GET: power and averaging interval.</summary>
    public async Task<(uint Power, uint Pai)> GetMeasurementsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var m = await CallAsync((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        return ((uint)m.GetUInt64("power"), (uint)m.GetUInt64("pai"));
    }
}

/// <summary>Pin control (0x19).</summary>
public sealed class PinctrlClient : ProtocolClient
{
    internal PinctrlClient(ScmiClient client)
        : base(client, ScmiProtocolId.PINCTRL)
    {
    }

    /// <summary>PINCTRL_ATTRIBUTES, as decoded fields (selector 0 pin, 1 group, 2 function).</summary>
    public Task<Protocol.Schema.FieldSet> GetAttributesAsync(uint identifier, uint selector, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_ATTRIBUTES, cancellationToken, ("identifier", identifier), ("selector", selector));
}
