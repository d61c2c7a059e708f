namespace Vscmi.Platform.Model;

/// <summary>
/// The declarative description of a platform: its identity, its agents and every resource,
/// each declared once (STYLE 9). Ids are positions in these lists.
/// </summary>
public sealed record DeviceModel(
    PlatformIdentity Platform,
    IReadOnlyList<AgentModel> Agents,
    SystemPowerModel SystemPower,
    IReadOnlyList<PerfDomainModel> PerfDomains,
    IReadOnlyList<ClockModel> Clocks,
    IReadOnlyList<SensorModel> Sensors,
    IReadOnlyList<PowerDomainModel> PowerDomains,
    IReadOnlyList<ResetDomainModel> ResetDomains,
    IReadOnlyList<VoltageDomainModel> VoltageDomains)
{
    /// <summary>Power capping domains (empty when the model has none).</summary>
    public IReadOnlyList<PowercapDomainModel> PowercapDomains { get; init; } = [];

    /// <summary>Pins, groups and functions (null when the model has no [pinctrl]).</summary>
    public PinctrlModel? Pinctrl { get; init; }

    /// <summary>Devices: named groups of resources that BASE_SET_DEVICE_PERMISSIONS grants or denies (device ids by order).</summary>
    public IReadOnlyList<DeviceGroupModel> Devices { get; init; } = [];

    /// <summary>Where host backends find sysfs and debugfs (<c>[host]</c>).</summary>
    public HostModel Host { get; init; } = HostModel.Default;

    /// <summary>
    /// The SCMI release the platform presents (<c>scmi_release</c>, default 3.2): each protocol's
    /// version, commands and layouts are that release's, and protocols it lacks are not served.
    /// </summary>
    public Vscmi.Protocol.Protocols.ScmiRelease Release { get; init; } = Vscmi.Protocol.Protocols.ScmiRelease.V3_2;
}

/// <summary>What BASE_DISCOVER_* report.</summary>
public sealed record PlatformIdentity(string Vendor, string SubVendor, uint ImplementationVersion);

/// <summary>An agent (agent ids start at 1 in model order; 0 is the platform).</summary>
/// <param name="Name">Its name (BASE_DISCOVER_AGENT).</param>
/// <param name="Trusted">Whether it may use the privileged Base commands.</param>
/// <param name="Socket">The Unix socket <c>vscmi serve</c> listens on for it when no --socket/--tcp/--vhost-user is given.</param>
/// <param name="VhostUser">The vhost-user socket (a VM's virtio-scmi device) <c>vscmi serve</c> listens on for it when none is given on the command line.</param>
public sealed record AgentModel(string Name, bool Trusted, string? Socket = null, string? VhostUser = null)
{
    /// <summary>
    /// The resources this agent sees, per kind, as global ids in the order of the agent's own ids
    /// (SCP-firmware's agent device tables). A kind not listed is seen whole.
    /// </summary>
    public IReadOnlyDictionary<ResourceKind, int[]> Views { get; init; } = new Dictionary<ResourceKind, int[]>();

    /// <summary>
    /// Whether this VM's frontend may share guest memory whose file can shrink (<c>allow_unsealed_memory</c>;
    /// default false). A file truncated under the daemon's mapping makes the next access a SIGBUS,
    /// which ends the daemon and every VM in it; QEMU's memory-backend-memfd seals against that.
    /// Allowed, such memory is served with a warning (file-backed or hugetlbfs guest RAM).
    /// </summary>
    public bool AllowUnsealedMemory { get; init; }

    /// <summary>
    /// Connections this agent may hold open on each of its stream sockets (<c>max_connections</c>;
    /// default <see cref="DefaultMaxConnections"/>). Each connection has a thread of its own; one over
    /// the limit is closed at once, counted, and warned about once per 10 s.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>The default <see cref="MaxConnections"/>: 16 (Linux opens one channel per agent; tools add a few).</summary>
    public const int DefaultMaxConnections = 16;

    /// <summary>
    /// Commands per second this agent is answered at, over all its channels (<c>commands_per_second</c>;
    /// default <see cref="DefaultCommandsPerSecond"/>; 0 is no limit). Beyond it, and once its
    /// <see cref="CommandBurst"/> is spent, commands are answered BUSY; no other agent is slowed.
    /// </summary>
    public int CommandsPerSecond { get; init; } = DefaultCommandsPerSecond;

    /// <summary>
    /// Commands this agent may send at once above its rate (<c>command_burst</c>; default: one
    /// second's worth, <see cref="CommandsPerSecond"/>). A Linux guest sends a few hundred to a few
    /// thousand at boot, while it enumerates the protocols.
    /// </summary>
    public int CommandBurst { get; init; } = DefaultCommandsPerSecond;

    /// <summary>
    /// The default <see cref="CommandsPerSecond"/>: 100,000. The Linux guest of the end-to-end test
    /// sent 23,000 a second in its busiest phase (measured: 10,000 answered it BUSY and broke its
    /// drivers' reads), so the default sits well above what a real guest does; a guest that floods is
    /// held there instead of at the 1.5M/s one VM can push (docs/security.md).
    /// </summary>
    public const int DefaultCommandsPerSecond = 100_000;

    /// <summary>
    /// Bytes of this agent's trace records a trace subscriber (<c>vscmi trace</c>, the dashboard) may
    /// hold unread (<c>trace_buffer_bytes</c>; default <see cref="DefaultTraceBufferBytes"/>). A
    /// subscriber that falls behind drops this agent's records beyond it, and still takes other agents'.
    /// </summary>
    public int TraceBufferBytes { get; init; } = DefaultTraceBufferBytes;

    /// <summary>The default <see cref="TraceBufferBytes"/>: 64 KiB, about 500 records (a subscriber's ring holds 4,096).</summary>
    public const int DefaultTraceBufferBytes = 64 * 1024;
}

/// <summary>A device: the resources of each kind it is made of (global ids).</summary>
public sealed record DeviceGroupModel(string Name, IReadOnlyDictionary<ResourceKind, int[]> Resources);

/// <summary>The kinds of resource an agent's view can restrict.</summary>
public enum ResourceKind
{
    /// <summary>Performance domains.</summary>
    Perf,
    /// <summary>Clocks.</summary>
    Clock,
    /// <summary>Sensors.</summary>
    Sensor,
    /// <summary>Power domains.</summary>
    PowerDomain,
    /// <summary>Reset domains.</summary>
    ResetDomain,
    /// <summary>Voltage domains.</summary>
    VoltageDomain,
    /// <summary>Power capping domains.</summary>
    Powercap,
    /// <summary>Pins (pin control, selector 0).</summary>
    Pin,
    /// <summary>Pin groups (pin control, selector 1).</summary>
    PinGroup,
    /// <summary>Pin functions (pin control, selector 2).</summary>
    PinFunction,
}

/// <summary>System power: which states SYSTEM_POWER_STATE_SET accepts besides shutdown and cold reset.</summary>
public sealed record SystemPowerModel(bool WarmReset, bool Suspend);

/// <summary>One operating performance point.</summary>
public sealed record OppModel(uint Level, uint PowerCost, ushort LatencyUs, uint FrequencyKhz);

/// <summary>A performance domain with its OPP table (ascending levels).</summary>
public sealed record PerfDomainModel(
    string Name,
    IReadOnlyList<OppModel> Opps,
    uint SustainedFrequencyKhz,
    uint SustainedLevel,
    uint RateLimitUs,
    uint InitialLevel)
{
    /// <summary>The cpufreq policy behind the domain, if any.</summary>
    public HostBinding? Backend { get; init; }
}

/// <summary>A clock rate range: min, max and step in Hz.</summary>
public sealed record RateRange(ulong Min, ulong Max, ulong Step)
{
    /// <summary>True when <paramref name="rate"/> is min + k·step within the range.</summary>
    public bool Contains(ulong rate) => rate >= Min && rate <= Max && (rate - Min) % Step == 0;
}

/// <summary>A clock: a discrete list of rates or a range, optional parents.</summary>
public sealed record ClockModel(
    string Name,
    IReadOnlyList<ulong>? Rates,
    RateRange? Range,
    ulong InitialRate,
    bool InitiallyEnabled,
    IReadOnlyList<int> ParentIds,
    int? InitialParent,
    uint EnableDelayUs,
    uint? AsyncLatencyUs = null)
{
    /// <summary>The host clock (clk debugfs) behind it, if any.</summary>
    public HostBinding? Backend { get; init; }
}

/// <summary>How a sensor's value is produced.</summary>
public enum SensorSourceKind
{
    /// <summary>Always <c>value</c>.</summary>
    Constant,
    /// <summary><c>base + amplitude · sin(2π t / period_s)</c>.</summary>
    Sine,
    /// <summary><c>start + slope_per_s · t</c> (an energy counter).</summary>
    Ramp,
    /// <summary>A bounded random walk, one step per read, from a seed.</summary>
    RandomWalk,
    /// <summary>A number read from a file (for example a host sysfs file) times <c>scale</c>.</summary>
    File,
    /// <summary>A hwmon channel (<c>chip</c>'s <c>CHANNEL_input</c>; docs/host-backends.md).</summary>
    Hwmon,
    /// <summary>A thermal zone's <c>temp</c> (<c>zone</c> by type).</summary>
    Thermal,
    /// <summary>An IIO channel: <c>_input</c>, or (<c>_raw</c> + <c>_offset</c>) × <c>_scale</c>.</summary>
    Iio,
    /// <summary>A powercap zone's <c>energy_uj</c> as an energy sensor.</summary>
    PowercapEnergy,
}

/// <summary>Parameters of a sensor source (only those of its kind are used).</summary>
public sealed record SensorSourceModel(
    SensorSourceKind Kind,
    double Value = 0,
    double Base = 0,
    double Amplitude = 0,
    double PeriodSeconds = 60,
    double Start = 0,
    double SlopePerSecond = 0,
    double Min = 0,
    double Max = 0,
    double Step = 0,
    int Seed = 0,
    string? Path = null,
    double Scale = 1,
    string? Device = null,
    string? Channel = null)
{
    /// <summary>Whether readings come from the host (a hwmon, thermal, IIO or powercap backend).</summary>
    public bool IsHost => Kind is SensorSourceKind.Hwmon or SensorSourceKind.Thermal or SensorSourceKind.Iio or SensorSourceKind.PowercapEnergy;
}

/// <summary>A sensor: scalar, or with axes (then <see cref="Source"/> is the first axis's).</summary>
public sealed record SensorModel(
    string Name,
    byte UnitType,
    int UnitExponent,
    byte TripPoints,
    uint UpdateIntervalSeconds,
    SensorSourceModel Source,
    uint? AsyncLatencyUs = null)
{
    /// <summary>
    /// The axes of a multi-axis sensor (SCMI sensor v2.0+: SENSOR_AXIS_DESCRIPTION_GET, one reading
    /// per axis), each with its own source and the sensor's unit; empty for a scalar sensor.
    /// </summary>
    public IReadOnlyList<SensorAxisModel> Axes { get; init; } = [];

    /// <summary>
    /// Whether the sensor is enabled at start (<c>enabled</c>; SENSOR_CONFIG_GET/SET). By default a
    /// scalar sensor is and a multi-axis one is not: it streams SENSOR_UPDATE to its subscribers
    /// while enabled, and Linux's IIO_SCMI subscribes at probe but enables it only while in use.
    /// </summary>
    public bool InitiallyEnabled { get; init; } = true;

    /// <summary>
    /// Whether <paramref name="other"/> describes this sensor the same way, axes compared one by one
    /// (the record's own equality compares the axis lists by reference, so two loads of one file differ).
    /// </summary>
    public bool DescribesTheSameAs(SensorModel other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with { Axes = [] } == other with { Axes = [] } && Axes.SequenceEqual(other.Axes);
    }
}

/// <summary>One axis of a multi-axis sensor.</summary>
public sealed record SensorAxisModel(string Name, SensorSourceModel Source);

/// <summary>A power domain with generic on/off states and an optional parent.</summary>
public sealed record PowerDomainModel(string Name, bool InitiallyOn, int? ParentId, uint? AsyncLatencyUs = null)
{
    /// <summary>The device whose runtime PM backs the domain, if any.</summary>
    public HostBinding? Backend { get; init; }
}

/// <summary>A reset domain.</summary>
/// <param name="Name">Its name.</param>
/// <param name="LatencyUs">Reset latency (0xFFFFFFFF: not reported); also the delay of an asynchronous reset.</param>
/// <param name="Async">Whether RESET may be asynchronous (a delayed response after the latency).</param>
public sealed record ResetDomainModel(string Name, uint LatencyUs, bool Async = false);

/// <summary>
/// A power capping domain tied to a performance domain: its measured power is the power cost of
/// that domain's current OPP (mW), and a cap keeps the domain at OPPs whose cost fits.
/// </summary>
public sealed record PowercapDomainModel(
    string Name,
    int PerfDomain,
    uint MinCap,
    uint MaxCap,
    uint CapStep,
    uint InitialCap,
    uint MinPai,
    uint MaxPai,
    uint PaiStep,
    uint InitialPai,
    uint SustainablePower,
    uint Accuracy,
    uint? AsyncLatencyUs = null)
{
    /// <summary>The powercap zone behind the domain, if any (then <see cref="PerfDomain"/> may be -1: none).</summary>
    public HostBinding? Backend { get; init; }

    /// <summary>Whether a cap can be set: 0 (capping off) or within [min, max] on a step.</summary>
    public bool AllowsCap(uint cap) => cap == 0 || (cap >= MinCap && cap <= MaxCap && (cap - MinCap) % CapStep == 0);

    /// <summary>Whether an averaging interval can be set: within [min, max] on a step.</summary>
    public bool AllowsPai(uint pai) => pai >= MinPai && pai <= MaxPai && (pai - MinPai) % PaiStep == 0;
}

/// <summary>Pin control: pins by name, groups of pins, functions made of groups.</summary>
public sealed record PinctrlModel(IReadOnlyList<string> Pins, IReadOnlyList<PinGroupModel> Groups, IReadOnlyList<PinFunctionModel> Functions);

/// <summary>A group of pins (ids into <see cref="PinctrlModel.Pins"/>).</summary>
public sealed record PinGroupModel(string Name, IReadOnlyList<int> Pins);

/// <summary>A function: the groups that can carry it; <c>Gpio</c> marks a GPIO function.</summary>
public sealed record PinFunctionModel(string Name, IReadOnlyList<int> Groups, bool Gpio);

/// <summary>A voltage range in microvolts.</summary>
public sealed record VoltageRange(int Min, int Max, int Step)
{
    /// <summary>True when <paramref name="level"/> is min + k·step within the range.</summary>
    public bool Contains(int level) => level >= Min && level <= Max && ((long)level - Min) % Step == 0;
}

/// <summary>A voltage domain: discrete levels or a range, in microvolts.</summary>
public sealed record VoltageDomainModel(string Name, IReadOnlyList<int>? Levels, VoltageRange? Range, int InitialLevel, bool InitiallyOn, uint? AsyncLatencyUs = null)
{
    /// <summary>The regulator behind the domain, if any.</summary>
    public HostBinding? Backend { get; init; }
}
