using Vscmi.Platform.Model;
using Vscmi.Platform.Sensors;

namespace Vscmi.Platform;

/// <summary>The mutable state of every resource; the caller holds <see cref="ScmiPlatform.Sync"/>.</summary>
internal sealed class PlatformState
{
    private readonly Lock _permissions = new();
    private readonly DeviceModel _model;

    public PlatformState(DeviceModel model, Host.HostFiles? files = null)
    {
        files ??= new Host.HostFiles();
        _model = model;
        var agents = model.Agents.Count;
        Perf = model.PerfDomains.Select(p => new PerfState(agents) { Level = p.InitialLevel, RangeMin = p.Opps[0].Level, RangeMax = p.Opps[^1].Level, CapCeiling = p.Opps[^1].Level }).ToArray();
        Powercap = model.PowercapDomains.Select(p => new PowercapState { Cap = p.InitialCap, Pai = p.InitialPai }).ToArray();
        Pins = model.Pinctrl is { } pc
            ? [.. pc.Pins.Select(_ => new PinState()), .. pc.Groups.Select(_ => new PinState()), .. pc.Functions.Select(_ => new PinState())]
            : [];
        // An agent votes only for what it can see: a resource outside its view is not kept on on its behalf.
        bool[] InitialVotes(ResourceKind kind, int id, bool on) =>
            [.. model.Agents.Select(a => on && (!a.Views.TryGetValue(kind, out var view) || view.Contains(id)))];
        Clocks = model.Clocks.Select((c, i) => new ClockState(InitialVotes(ResourceKind.Clock, i, c.InitiallyEnabled)) { Rate = c.InitialRate, Parent = c.InitialParent }).ToArray();
        Power = model.PowerDomains.Select((p, i) => new PowerDomainState(InitialVotes(ResourceKind.PowerDomain, i, p.InitiallyOn)) { On = p.InitiallyOn }).ToArray();
        Voltage = model.VoltageDomains.Select(v => new VoltageState { Level = v.InitialLevel, On = v.InitiallyOn }).ToArray();
        Resets = model.ResetDomains.Select(_ => new ResetState()).ToArray();
        Sensors = model.Sensors.Select(s =>
        {
            // A multi-axis sensor: one source per axis, the first also the sensor's own.
            var axes = s.Axes.Select(a => SensorSource.Create(s with { Source = a.Source }, model.Host, files)).ToArray();
            return new SensorState(axes.Length > 0 ? axes[0] : SensorSource.Create(s, model.Host, files), s.TripPoints) { IntervalSeconds = s.UpdateIntervalSeconds, Axes = axes, Enabled = s.InitiallyEnabled };
        }).ToArray();
    }

    public PerfState[] Perf { get; }

    public ClockState[] Clocks { get; }

    public PowerDomainState[] Power { get; }

    public VoltageState[] Voltage { get; }

    public ResetState[] Resets { get; }

    public PowercapState[] Powercap { get; }

    /// <summary>Pins, then groups, then functions (index by <see cref="Handlers.PinctrlHandler"/>).</summary>
    public PinState[] Pins { get; }

    public SensorState[] Sensors { get; }

    /// <summary>The last system state requested (3 = power up: running).</summary>
    public uint SystemState { get; set; } = 3;

    // Permissions set by a trusted agent (BASE_SET_DEVICE_PERMISSIONS, BASE_SET_PROTOCOL_PERMISSIONS):
    // what was denied, per (agent, device) and per (agent, device, protocol); the resources they
    // deny are derived from them after each change, so the per-message check is one set lookup.
    private readonly HashSet<(int Agent, int Device)> _deniedDevices = [];
    private readonly HashSet<(int Agent, int Device, ResourceKind Kind)> _deniedDeviceProtocols = [];
    private HashSet<(int Agent, ResourceKind Kind, int Id)> _deniedResources = [];

    /// <summary>Denies or grants an agent every resource of a device (BASE_SET_DEVICE_PERMISSIONS).</summary>
    public void SetDeviceAllowed(int agent, int device, bool allowed)
    {
        lock (_permissions)
        {
            if (allowed)
                _deniedDevices.Remove((agent, device));
            else
                _deniedDevices.Add((agent, device));
            RecomputeDenied();
        }
    }

    /// <summary>
    /// Denies or grants an agent one protocol on one device (BASE_SET_PROTOCOL_PERMISSIONS): the
    /// device's resources of that protocol's kind(s), and nothing else.
    /// </summary>
    public void SetDeviceProtocolAllowed(int agent, int device, IEnumerable<ResourceKind> kinds, bool allowed)
    {
        lock (_permissions)
        {
            foreach (var kind in kinds)
            {
                if (allowed)
                    _deniedDeviceProtocols.Remove((agent, device, kind));
                else
                    _deniedDeviceProtocols.Add((agent, device, kind));
            }

            RecomputeDenied();
        }
    }

    /// <summary>Every permission of an agent back to the model's (BASE_RESET_AGENT_CONFIGURATION with bit 0).</summary>
    public void ResetPermissions(int agent)
    {
        lock (_permissions)
        {
            _deniedDevices.RemoveWhere(d => d.Agent == agent);
            _deniedDeviceProtocols.RemoveWhere(d => d.Agent == agent);
            RecomputeDenied();
        }
    }

    // Caller holds _permissions. A resource in several devices is denied when any of them denies it.
    private void RecomputeDenied()
    {
        var denied = new HashSet<(int, ResourceKind, int)>();
        foreach (var (agent, device) in _deniedDevices)
        {
            foreach (var (kind, ids) in _model.Devices[device].Resources)
            {
                foreach (var id in ids)
                    denied.Add((agent, kind, id));
            }
        }

        foreach (var (agent, device, kind) in _deniedDeviceProtocols)
        {
            if (_model.Devices[device].Resources.TryGetValue(kind, out var ids))
            {
                foreach (var id in ids)
                    denied.Add((agent, kind, id));
            }
        }

        _deniedResources = denied;
    }

    /// <summary>The permissions trusted agents took away, for the state file.</summary>
    public ((int Agent, int Device)[] Devices, (int Agent, int Device, ResourceKind Kind)[] Protocols) DeniedPermissions()
    {
        lock (_permissions)
            return ([.. _deniedDevices.Order()], [.. _deniedDeviceProtocols.Order()]);
    }

    /// <summary>Puts back permissions read from the state file.</summary>
    public void RestorePermissions(IEnumerable<(int Agent, int Device)> devices, IEnumerable<(int Agent, int Device, ResourceKind Kind)> protocols)
    {
        lock (_permissions)
        {
            _deniedDevices.Clear();
            _deniedDevices.UnionWith(devices);
            _deniedDeviceProtocols.Clear();
            _deniedDeviceProtocols.UnionWith(protocols);
            RecomputeDenied();
        }
    }

    /// <summary>True when a permission denies the agent this resource. No allocation: it runs per message.</summary>
    public bool ResourceDenied(int agent, ResourceKind kind, int id)
    {
        lock (_permissions)
            return _deniedResources.Count != 0 && _deniedResources.Contains((agent, kind, id));
    }
}

internal sealed class PinState
{
    /// <summary>The function selected on this pin or group, if any.</summary>
    public uint? Function { get; set; }

    /// <summary>Configuration values by type (bias, drive strength, output value...).</summary>
    public SortedDictionary<byte, uint> Configs { get; } = [];

    /// <summary>The agent holding it after PINCTRL_REQUEST (0: nobody).</summary>
    public int Owner { get; set; }

    /// <summary>Agents denied by PINCTRL_SET_PERMISSIONS.</summary>
    public HashSet<int> Denied { get; } = [];
}

internal sealed class PowercapState
{
    public uint Cap { get; set; }

    public uint Pai { get; set; }

    public (uint Low, uint High) Thresholds { get; set; }

    /// <summary>The power a host zone measured (mW), for a domain with a host backend.</summary>
    public uint? HostPowerMw { get; set; }
}

internal sealed class PerfState(int agents)
{
    /// <summary>Each agent's requested level (null: no request); the highest wins (SCP-firmware's aggregation).</summary>
    public uint?[] Requests { get; } = new uint?[agents];

    /// <summary>The highest level a power cap allows (the top OPP when uncapped).</summary>
    public uint CapCeiling { get; set; }

    /// <summary>The limits in force: the agents' range, lowered by a power cap.</summary>
    public uint EffectiveMax => Math.Min(RangeMax, Math.Max(CapCeiling, RangeMin));

    public uint Level { get; set; }

    public uint RangeMin { get; set; }

    public uint RangeMax { get; set; }
}

internal sealed class ClockState(bool[] initialVotes)
{
    public ulong Rate { get; set; }

    /// <summary>Each agent's enable vote; every agent that sees the clock starts with the model's state.</summary>
    public bool[] Votes { get; } = (bool[])initialVotes.Clone();

    /// <summary>The physical state: on while any agent wants it on.</summary>
    public bool Enabled => Array.IndexOf(Votes, true) >= 0;

    /// <summary>An agent's vote as it sees it (CLOCK_ATTRIBUTES, CLOCK_CONFIG_GET); a host clock's own state when it has one.</summary>
    public bool EnabledFor(int agent) => HostEnabled ?? Votes[agent - 1];

    /// <summary>Whether the host's clock runs (clk_enable_count &gt; 0), for a clock with a host backend.</summary>
    public bool? HostEnabled { get; set; }

    /// <summary>Back to the model's state for one agent (BASE_RESET_AGENT_CONFIGURATION).</summary>
    public void ResetVote(int agent) => Votes[agent - 1] = initialVotes[agent - 1];

    public int? Parent { get; set; }
}

internal sealed class PowerDomainState(bool[] initialVotes)
{
    /// <summary>The physical state: on while any agent votes for it or any child is on.</summary>
    public bool On { get; set; }

    /// <summary>Each agent's requested state (what its POWER_STATE_GET reads back); every agent starts with the model's.</summary>
    public bool[] Votes { get; } = (bool[])initialVotes.Clone();

    /// <summary>Back to the model's state for one agent (BASE_RESET_AGENT_CONFIGURATION).</summary>
    public void ResetVote(int agent) => Votes[agent - 1] = initialVotes[agent - 1];
}

internal sealed class VoltageState
{
    public int Level { get; set; }

    public bool On { get; set; }
}

internal sealed class ResetState
{
    /// <summary>The agent holding the domain in reset (explicit assert), 0 when none.</summary>
    public int Holder { get; set; }

    public bool Asserted { get; set; }

    public uint Count { get; set; }
}

internal sealed class SensorState(SensorSource source, int tripPoints)
{
    /// <summary>Where readings come from (a live reload keeps it when the sensor's description is unchanged).</summary>
    public SensorSource Source { get; set; } = source;

    public bool Enabled { get; set; } = true;

    public uint IntervalSeconds { get; set; }

    public int IntervalExponent { get; set; }

    /// <summary>Per trip point: direction (0 disabled, 1 up, 2 down, 3 both) and value.</summary>
    public (uint Direction, long Value)[] Trips { get; } = new (uint, long)[tripPoints];

    /// <summary>Each axis's source, for a multi-axis sensor (empty for a scalar one).</summary>
    public SensorSource[] Axes { get; init; } = [];

    /// <summary>
    /// Reads every axis (or the scalar value) into <paramref name="values"/>; false when any cannot be read.
    /// </summary>
    public bool TryReadAll(TimeSpan now, Span<long> values)
    {
        if (Axes.Length == 0)
            return Source.TryRead(now, out values[0]);
        for (var i = 0; i < Axes.Length; i++)
        {
            if (!Axes[i].TryRead(now, out values[i]))
                return false;
        }

        return true;
    }

    /// <summary>How many readings a SENSOR_READING_GET returns: one per axis, one for a scalar sensor.</summary>
    public int ReadingCount => Math.Max(1, Axes.Length);

    /// <summary>The previous sample, to see which trip points the value crossed since.</summary>
    public long? LastSample { get; set; }
}
