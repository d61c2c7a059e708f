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
            var name = await FullNameAsync(d, d.ValueOrZero("extended_name") != 0, (byte)SensorMessageId.SENSOR_NAME_GET, id, cancellationToken, "sensor_id").ConfigureAwait(false);
            yield return new SensorInfo(id, name, (byte)d.GetUInt64("sensor_type"), (int)d.GetInt64("unit_exponent"), (int)d.GetUInt64("num_trip_points"),
                d.GetUInt64("async_read") != 0, (int)d.ValueOrZero("num_axes"));
        }
    }

    /// <summary>SENSOR_READING_GET (synchronous): one reading per axis, one for a scalar sensor.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var r = await CallAsync((byte)SensorMessageId.SENSOR_READING_GET, cancellationToken, ("sensor_id", sensorId), ("async", 0)).ConfigureAwait(false);
        return r.GetRecords("readings").Select(x => new SensorReading(x.GetInt64("value"), x.ValueOrZero("timestamp"))).ToList();
    }

    /// <summary>SENSOR_AXIS_DESCRIPTION_GET, every part (multi-axis sensors).</summary>
    public async IAsyncEnumerable<SensorAxisInfo> DescribeAxesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync((byte)SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, "axis_desc_index", "axes", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
        {
            yield return new SensorAxisInfo((uint)a.GetUInt64("axis_id"), a.GetText("name"), (byte)a.GetUInt64("axis_type"), (int)a.GetInt64("unit_exponent"),
                a.ValueOrZero("extended_name") != 0);
        }
    }

    /// <summary>SENSOR_AXIS_NAME_GET, every part: extended axis names by axis id.</summary>
    public async IAsyncEnumerable<(uint AxisId, string Name)> GetAxisNamesAsync(uint sensorId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var a in ListAsync((byte)SensorMessageId.SENSOR_AXIS_NAME_GET, "axis_desc_index", "axes", _ => [("sensor_id", sensorId)], cancellationToken).ConfigureAwait(false))
            yield return ((uint)a.GetUInt64("axis_id"), a.GetText("name"));
    }

    /// <summary>SENSOR_NAME_GET.</summary>
    public async Task<string> GetNameAsync(uint sensorId, CancellationToken cancellationToken = default) =>
        (await CallAsync((byte)SensorMessageId.SENSOR_NAME_GET, cancellationToken, ("sensor_id", sensorId)).ConfigureAwait(false)).GetText("name");

    /// <summary>SENSOR_READING_GET with the asynchronous flag: the readings of the delayed response.</summary>
    public async Task<IReadOnlyList<SensorReading>> ReadAndWaitAsync(uint sensorId, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, (byte)SensorMessageId.SENSOR_READING_GET, Args(("sensor_id", sensorId), ("async", 1)), expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, "SENSOR_READING_GET", cancellationToken).ConfigureAwait(false);
        if (delayed.Status != 0)
            throw new ScmiStatusException("SENSOR_READING_GET (delayed)", delayed.Status!.Value);
        // Sensor v1.0 (SCMI 2.0) completes with one bare value; later versions with readings.
        if (!delayed.Fields.TryGet("readings", out _))
            return [new SensorReading(delayed.Fields.GetInt64("value"), 0)];
        return delayed.Fields.GetRecords("readings").Select(x => new SensorReading(x.GetInt64("value"), x.ValueOrZero("timestamp"))).ToList();
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

/// <summary>An axis of a multi-axis sensor.</summary>
public sealed record SensorAxisInfo(uint Id, string Name, byte UnitType, int UnitExponent, bool ExtendedName);

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
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)ResetMessageId.RESET_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
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
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
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

    /// <summary>POWERCAP_DOMAIN_ATTRIBUTES (+ POWERCAP_DOMAIN_NAME_GET for long names).</summary>
    public async Task<PowercapDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PowercapMessageId.POWERCAP_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        uint U(string field) => (uint)a.GetUInt64(field);
        return new PowercapDomainInfo(domainId, name, a.GetUInt64("cap_configurable") != 0, a.GetUInt64("pai_configurable") != 0, a.GetUInt64("async_cap_set") != 0,
            (int)a.GetUInt64("power_unit"), U("min_pai"), U("max_pai"), U("pai_step"), U("min_power_cap"), U("max_power_cap"), U("power_cap_step"),
            U("sustainable_power"), U("accuracy"), U("parent_id") == 0xFFFFFFFF ? null : U("parent_id"));
    }

    /// <summary>POWERCAP_CAP_GET (0 means capping is disabled, Powercap v2.0).</summary>
    public async Task<uint> GetCapAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PowercapMessageId.POWERCAP_CAP_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("power_cap");

    /// <summary>POWERCAP_CAP_SET (synchronous).</summary>
    public Task SetCapAsync(uint domainId, uint cap, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_CAP_SET, cancellationToken, ("domain_id", domainId), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", cap));

    /// <summary>POWERCAP_CAP_SET with the asynchronous flag: completes with the cap the delayed response reports.</summary>
    public async Task<uint> SetCapAndWaitAsync(uint domainId, uint cap, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, (byte)PowercapMessageId.POWERCAP_CAP_SET,
            Args(("domain_id", domainId), ("ignore_delayed_response", 0), ("async", 1), ("power_cap", cap)), expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, "POWERCAP_CAP_SET", cancellationToken).ConfigureAwait(false);
        return delayed.Status == 0 ? (uint)delayed.Fields.GetUInt64("power_cap") : throw new ScmiStatusException("POWERCAP_CAP_SET (delayed)", delayed.Status!.Value);
    }

    /// <summary>POWERCAP_PAI_GET: the power averaging interval in microseconds.</summary>
    public async Task<uint> GetPaiAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PowercapMessageId.POWERCAP_PAI_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("pai");

    /// <summary>POWERCAP_PAI_SET.</summary>
    public Task SetPaiAsync(uint domainId, uint pai, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_PAI_SET, cancellationToken, ("domain_id", domainId), ("pai", pai));

    /// <summary>POWERCAP_MEASUREMENTS_GET: power and averaging interval.</summary>
    public async Task<(uint Power, uint Pai)> GetMeasurementsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var m = await CallAsync((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        return ((uint)m.GetUInt64("power"), (uint)m.GetUInt64("pai"));
    }

    /// <summary>POWERCAP_CAP_NOTIFY.</summary>
    public Task NotifyCapAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_CAP_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    /// <summary>POWERCAP_MEASUREMENTS_NOTIFY with the power thresholds that trigger it.</summary>
    public Task NotifyMeasurementsAsync(uint domainId, bool enable, uint thresholdLow, uint thresholdHigh, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0),
            ("threshold_low", thresholdLow), ("threshold_high", thresholdHigh));

    /// <summary>POWERCAP_DESCRIBE_FASTCHANNEL, as decoded fields.</summary>
    public Task<Protocol.Schema.FieldSet> DescribeFastChannelAsync(uint domainId, uint messageId, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_DESCRIBE_FASTCHANNEL, cancellationToken, ("domain_id", domainId), ("message_id", messageId));
}

/// <summary>A power capping domain (Linux's validation rules in reference 2.9).</summary>
public sealed record PowercapDomainInfo(uint Id, string Name, bool CapConfigurable, bool PaiConfigurable, bool AsyncCapSet, int PowerUnit,
    uint MinPai, uint MaxPai, uint PaiStep, uint MinCap, uint MaxCap, uint CapStep, uint SustainablePower, uint Accuracy, uint? ParentId);

/// <summary>What a pin-control identifier names (the selector of reference 2.10).</summary>
public enum PinctrlSelector
{
    /// <summary>A pin.</summary>
    Pin = 0,
    /// <summary>A group of pins.</summary>
    Group = 1,
    /// <summary>A function.</summary>
    Function = 2,
}

/// <summary>Pin control (0x19).</summary>
public sealed class PinctrlClient : ProtocolClient
{
    internal PinctrlClient(ScmiClient client)
        : base(client, ScmiProtocolId.PINCTRL)
    {
    }

    /// <summary>Numbers of pins, groups and functions.</summary>
    public async Task<(int Pins, int Groups, int Functions)> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        var a = await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false);
        return ((int)a.GetUInt64("num_pins"), (int)a.GetUInt64("num_groups"), (int)a.GetUInt64("num_functions"));
    }

    /// <summary>PINCTRL_ATTRIBUTES (+ PINCTRL_NAME_GET for long names).</summary>
    public async Task<PinctrlInfo> GetAttributesAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PinctrlMessageId.PINCTRL_ATTRIBUTES, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PinctrlMessageId.PINCTRL_NAME_GET, identifier, cancellationToken, "identifier", ("selector", (ulong)selector)).ConfigureAwait(false);
        return new PinctrlInfo(identifier, selector, name, (int)a.GetUInt64("num_elements"), a.GetUInt64("gpio_function") != 0, a.GetUInt64("pin_only_function") != 0);
    }

    /// <summary>PINCTRL_LIST_ASSOCIATIONS, every part: a group's pins or a function's groups.</summary>
    public async IAsyncEnumerable<uint> ListAssociationsAsync(uint identifier, PinctrlSelector selector, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var id in ListAsync((byte)PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, "index", "ids", _ => [("identifier", identifier), ("selector", (ulong)selector)], cancellationToken).ConfigureAwait(false))
            yield return (uint)id.GetUInt64("value");
    }

    /// <summary>PINCTRL_SETTINGS_GET of every configuration ("all configs" mode, paged by skip count): the selected function and each (type, value).</summary>
    public async Task<(uint? Function, IReadOnlyList<(byte Type, uint Value)> Configs)> GetSettingsAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var configs = new List<(byte, uint)>();
        uint? function = null;
        while (true)
        {
            var reply = await CallAsync((byte)PinctrlMessageId.PINCTRL_SETTINGS_GET, cancellationToken, ("identifier", identifier), ("config_type", 0),
                ("skip_configs", (ulong)configs.Count), ("selector", (ulong)selector), ("config_flag", 1)).ConfigureAwait(false);
            var selected = reply.GetUInt64("function_selected");
            function = selected == 0xFFFFFFFF ? null : (uint)selected;
            var part = reply.GetRecords("configs");
            configs.AddRange(part.Select(c => ((byte)c.GetUInt64("config_type"), (uint)c.GetUInt64("value"))));
            if (part.Count == 0 || reply.GetUInt64("remaining") == 0)
                return (function, configs);
        }
    }

    /// <summary>PINCTRL_SETTINGS_CONFIGURE: optionally select a function, and write configurations.</summary>
    public Task ConfigureAsync(uint identifier, PinctrlSelector selector, uint? function, IReadOnlyList<(byte Type, uint Value)> configs, CancellationToken cancellationToken = default)
    {
        var parameters = Args(("identifier", identifier), ("function_id", function ?? 0xFFFFFFFF), ("selector", (ulong)selector), ("function_valid", function is null ? 0u : 1u));
        parameters.Set("configs", configs.Select(c => new Protocol.Schema.FieldSet().Set("config_type", (ulong)c.Type).Set("value", (ulong)c.Value)).ToList());
        return Client.CallAsync(Protocol, (byte)PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE, parameters, cancellationToken);
    }

    /// <summary>PINCTRL_REQUEST: exclusive use (IN_USE when another agent holds it).</summary>
    public Task RequestAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_REQUEST, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector));

    /// <summary>PINCTRL_RELEASE.</summary>
    public Task ReleaseAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_RELEASE, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector));

    /// <summary>PINCTRL_SET_PERMISSIONS (layout unverified in the reference: selector, allow bit 2).</summary>
    public Task SetPermissionsAsync(uint agentId, uint identifier, PinctrlSelector selector, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_SET_PERMISSIONS, cancellationToken, ("agent_id", agentId), ("identifier", identifier), ("selector", (ulong)selector), ("allow", allow ? 1u : 0));
}

/// <summary>A pin, group or function.</summary>
public sealed record PinctrlInfo(uint Id, PinctrlSelector Selector, string Name, int Elements, bool GpioFunction, bool PinOnlyFunction);

/// <summary>vscmi's vendor protocol (0x80): what a trusted agent asks the platform about other agents.</summary>
public sealed class VscmiClient : ProtocolClient
{
    internal VscmiClient(ScmiClient client)
        : base(client, ScmiProtocolId.VSCMI)
    {
    }

    /// <summary>
    /// VSCMI_AGENT_SYSTEM_POWER_NOTIFY: sends SYSTEM_POWER_STATE_NOTIFIER to one agent (0 shutdown,
    /// 1 cold reset, 2 warm reset, 4 suspend), so a VM shuts down or reboots in an orderly way.
    /// NOT_SUPPORTED when the agent has no channel subscribed to it.
    /// </summary>
    public Task NotifyAgentSystemPowerAsync(uint agentId, uint systemState, bool graceful = true, uint timeoutMs = 0, CancellationToken cancellationToken = default) =>
        CallAsync((byte)VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY, cancellationToken,
            ("agent_id", agentId), ("graceful", graceful ? 1ul : 0), ("system_state", systemState), ("timeout_ms", timeoutMs));
}
