using System.Globalization;
using RateLimitWord = Vscmi.Protocol.Fields.PerfBits.PerformanceDomainAttributes.Response.RateLimit;

namespace Vscmi.Platform.Model;

/// <summary>
/// Loads a <see cref="DeviceModel"/> from TOML. Every error names file:line:column and the key;
/// unknown keys are errors; semantic rules (sorted OPPs, rate lists Linux can take, names that
/// fit) are checked here so that the platform never has to.
/// </summary>
public static class ModelLoader
{
    /// <summary>The file name shown for the embedded model.</summary>
    public const string DefaultModelName = "<default-model>";

    /// <summary>The TOML text of the embedded default model.</summary>
    public static string DefaultModelText { get; } = ReadDefault();

    /// <summary>Loads the embedded default model.</summary>
    public static DeviceModel LoadDefault() => Load(DefaultModelText, DefaultModelName);

    /// <summary>Loads a model file.</summary>
    /// <exception cref="ModelException">The file is unreadable or invalid; the message says where.</exception>
    public static DeviceModel LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelException($"{path}: cannot read the model file: {e.Message}", e);
        }

        return Load(text, path);
    }

    /// <summary>Loads a model from TOML text; <paramref name="file"/> is used in error messages.</summary>
    public static DeviceModel Load(string text, string file)
    {
        var root = TomlDocument.Parse(text, file);
        var platform = ReadPlatform(root.Table("platform") ?? throw root.Location.Error("the model needs a [platform] table"));
        var agentTables = root.Tables("agent");
        var agents = agentTables.Select(ReadAgent).ToList();
        if (agents.Count == 0)
            throw root.Location.Error("the model needs at least one [[agent]]");
        if (agents.Count > 254)
            throw root.LocationOf("agent").Error($"{agents.Count} agents: at most 254 fit PROTOCOL_ATTRIBUTES");
        UniqueNames(root, "agent", agents.Select(a => a.Name));

        var system = root.Table("system_power") is { } s ? ReadSystem(s) : new SystemPowerModel(false, false);
        foreach (var (key, kind) in new[] { ("perf", ResourceKind.Perf), ("clock", ResourceKind.Clock), ("sensor", ResourceKind.Sensor), ("power_domain", ResourceKind.PowerDomain), ("reset_domain", ResourceKind.ResetDomain), ("voltage_domain", ResourceKind.VoltageDomain), ("powercap", ResourceKind.Powercap) })
            CheckCount(root.Tables(key), key, WireLimits.Resources(kind));
        var perf = root.Tables("perf").Select(ReadPerf).ToList();
        var clockTables = root.Tables("clock");
        var clockNames = clockTables.Select(t => t.Peek("name") is TomlScalar { Value: string n } ? n : "").ToList();
        var clocks = clockTables.Select((t, i) => ReadClock(t, i, clockNames)).ToList();
        var sensors = root.Tables("sensor").Select(ReadSensor).ToList();
        var powerTables = root.Tables("power_domain");
        var powerNames = powerTables.Select(t => t.Peek("name") is TomlScalar { Value: string n } ? n : "").ToList();
        var power = powerTables.Select((t, i) => ReadPowerDomain(t, i, powerNames)).ToList();
        var resets = root.Tables("reset_domain").Select(ReadReset).ToList();
        var voltages = root.Tables("voltage_domain").Select(ReadVoltage).ToList();
        var powercaps = root.Tables("powercap").Select(t => ReadPowercap(t, perf)).ToList();
        var pinctrl = root.Table("pinctrl") is { } pins ? ReadPinctrl(pins) : null;

        UniqueNames(root, "perf", perf.Select(p => p.Name));
        UniqueNames(root, "clock", clocks.Select(c => c.Name));
        UniqueNames(root, "sensor", sensors.Select(c => c.Name));
        UniqueNames(root, "power_domain", power.Select(c => c.Name));
        UniqueNames(root, "reset_domain", resets.Select(c => c.Name));
        UniqueNames(root, "voltage_domain", voltages.Select(c => c.Name));
        UniqueNames(root, "powercap", powercaps.Select(c => c.Name));
        CheckPowerHierarchy(powerTables, power);
        var kinds = Kinds(perf, clocks, sensors, power, resets, voltages, powercaps, pinctrl);
        for (var i = 0; i < agents.Count; i++)
        {
            agents[i] = agents[i] with { Views = ReadViews(agentTables[i], kinds) };
            CheckPinView(agentTables[i], agents[i], pinctrl);
        }

        var devices = root.Tables("device").Select(t =>
        {
            var name = Name(t);
            return new DeviceGroupModel(name, ReadViews(t, kinds));
        }).ToList();
        UniqueNames(root, "device", devices.Select(d => d.Name));

        var release = ReadRelease(root);
        // Axes arrived with sensor v2.0 (SCMI 3.0).
        if (release.VersionOf(Vscmi.Protocol.ScmiProtocolId.SENSOR) is < 0x20000 && sensors.FindIndex(s => s.Axes.Count > 0) is var multi and >= 0)
            throw root.Tables("sensor")[multi].LocationOf("axes").Error($"sensor '{sensors[multi].Name}' has axes, which SCMI {release} does not have (sensor v2.0, SCMI 3.0)");
        var host = root.Table("host") is { } h ? ReadHost(h) : HostModel.Default;
        root.RejectUnknownKeys(["host", "platform", "agent", "system_power", "perf", "clock", "sensor", "power_domain", "reset_domain", "voltage_domain", "powercap", "pinctrl", "device", "scmi_release"]);
        return new DeviceModel(platform, agents, system, perf, clocks, sensors, power, resets, voltages) { PowercapDomains = powercaps, Pinctrl = pinctrl, Devices = devices, Release = release, Host = host };
    }

    /// <summary>
    /// An agent added to a running model (<c>vscmi ctl vm add NAME --view FILE</c>): the TOML text
    /// holds what an [[agent]] table would, without name and sockets (<c>trusted</c>, and the
    /// resource lists of its view by name); empty text is an untrusted agent that sees everything.
    /// </summary>
    /// <exception cref="ModelException">The name or the text is invalid; the message says where.</exception>
    public static AgentModel AgentFromText(DeviceModel model, string name, string text, string file)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(name);
        var t = TomlDocument.Parse(text ?? "", file);
        if (name.Length is 0 or > 15 || name.Any(c => c is < ' ' or > '~'))
            throw new ModelException($"agent name \"{name}\" must be 1 to 15 printable ASCII characters (a 16-byte SCMI name)");
        var agent = WithLimits(new AgentModel(name, t.Boolean("trusted") ?? false), t);
        agent = agent with { Views = ReadViews(t, KindsOf(model)) };
        CheckPinView(t, agent, model.Pinctrl);
        return agent;
    }

    /// <summary>
    /// The model with no agent held to a command rate (<c>commands_per_second = 0</c> for all): for
    /// benchmarks and fuzzing in one process, where there is no guest to guard against.
    /// </summary>
    public static DeviceModel WithoutCommandLimits(DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model with { Agents = [.. model.Agents.Select(a => a with { CommandsPerSecond = 0, CommandBurst = 1 })] };
    }

    /// <summary>The model with one more agent (the next agent id); refuses a name already taken or a 255th agent.</summary>
    /// <exception cref="ModelException">The name is taken or there is no room.</exception>
    public static DeviceModel WithAgent(DeviceModel model, AgentModel agent)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(agent);
        if (model.Agents.Any(a => a.Name == agent.Name))
            throw new ModelException($"an agent called \"{agent.Name}\" exists already");
        if (model.Agents.Count >= 254)
            throw new ModelException("the model has 254 agents: no more fit PROTOCOL_ATTRIBUTES");
        return model with { Agents = [.. model.Agents, agent] };
    }

    /// <summary>Each kind's key in an agent's view and the model's resource names, by global id.</summary>
    private static Dictionary<ResourceKind, (string Key, List<string> Names)> KindsOf(DeviceModel m) =>
        Kinds(m.PerfDomains, m.Clocks, m.Sensors, m.PowerDomains, m.ResetDomains, m.VoltageDomains, m.PowercapDomains, m.Pinctrl);

    private static Dictionary<ResourceKind, (string Key, List<string> Names)> Kinds(IEnumerable<PerfDomainModel> perf, IEnumerable<ClockModel> clocks,
        IEnumerable<SensorModel> sensors, IEnumerable<PowerDomainModel> power, IEnumerable<ResetDomainModel> resets, IEnumerable<VoltageDomainModel> voltages,
        IEnumerable<PowercapDomainModel> powercaps, PinctrlModel? pinctrl)
    {
        var kinds = new Dictionary<ResourceKind, (string Key, List<string> Names)>
        {
            [ResourceKind.Perf] = ("perf", perf.Select(p => p.Name).ToList()),
            [ResourceKind.Clock] = ("clocks", clocks.Select(p => p.Name).ToList()),
            [ResourceKind.Sensor] = ("sensors", sensors.Select(p => p.Name).ToList()),
            [ResourceKind.PowerDomain] = ("power_domains", power.Select(p => p.Name).ToList()),
            [ResourceKind.ResetDomain] = ("reset_domains", resets.Select(p => p.Name).ToList()),
            [ResourceKind.VoltageDomain] = ("voltage_domains", voltages.Select(p => p.Name).ToList()),
            [ResourceKind.Powercap] = ("powercap", powercaps.Select(p => p.Name).ToList()),
        };
        if (pinctrl is not null)
        {
            kinds[ResourceKind.Pin] = ("pins", [.. pinctrl.Pins]);
            kinds[ResourceKind.PinGroup] = ("pin_groups", pinctrl.Groups.Select(g => g.Name).ToList());
            kinds[ResourceKind.PinFunction] = ("pin_functions", pinctrl.Functions.Select(f => f.Name).ToList());
        }

        return kinds;
    }

    /// <summary><c>scmi_release</c> at the top level or in [platform] (not both): "2.0", "3.0", "3.1" or "3.2" (the default).</summary>
    private static ScmiRelease ReadRelease(TomlTableNode root)
    {
        var top = root.String("scmi_release");
        var platform = root.Table("platform");
        var inPlatform = platform?.String("scmi_release");
        if (top is not null && inPlatform is not null)
            throw platform!.LocationOf("scmi_release").Error("'scmi_release' is set both at the top level and in [platform]: keep one");
        var text = top ?? inPlatform;
        if (text is null)
            return ScmiRelease.V3_2;
        if (!ScmiRelease.TryParse(text, out var release))
        {
            var at = top is not null ? root.LocationOf("scmi_release") : platform!.LocationOf("scmi_release");
            throw at.Error($"'scmi_release' = \"{text}\" is not an SCMI release vscmi can present ({string.Join(", ", ScmiRelease.All.Select(r => r.Name))})");
        }

        return release;
    }

    private static PlatformIdentity ReadPlatform(TomlTableNode t)
    {
        var vendor = ShortName(t, "vendor", t.RequiredString("vendor"));
        var subVendor = ShortName(t, "sub_vendor", t.String("sub_vendor") ?? "");
        var version = t.Integer("implementation_version") is { } v ? t.ToUInt32("implementation_version", v) : 0;
        t.TryGetRaw("scmi_release", out _); // read by ReadRelease
        t.RejectUnknownKeys();
        return new PlatformIdentity(vendor, subVendor, version);
    }

    private static AgentModel ReadAgent(TomlTableNode t)
    {
        var agent = WithLimits(new AgentModel(ShortName(t, "name", t.RequiredString("name")), t.Boolean("trusted") ?? false, t.String("socket"), t.String("vhost_user")), t);
        if (agent.Socket is { Length: 0 or > 107 })
            throw t.LocationOf("socket").Error($"'socket' in {t.Describe()} must be a Unix socket path of 1 to 107 bytes");
        if (agent.VhostUser is { Length: 0 or > 107 })
            throw t.LocationOf("vhost_user").Error($"'vhost_user' in {t.Describe()} must be a Unix socket path of 1 to 107 bytes");
        return agent; // unknown keys are checked once the views are read, after the resources
    }

    /// <summary>An agent's limits and allowances (docs/security.md), from an [[agent]] table or a <c>vm add</c> text.</summary>
    private static AgentModel WithLimits(AgentModel agent, TomlTableNode t)
    {
        var rate = t.Integer("commands_per_second") switch
        {
            null => AgentModel.DefaultCommandsPerSecond,
            >= 0 and <= MaxCommandRate and var n => (int)n,
            var n => throw t.LocationOf("commands_per_second").Error($"'commands_per_second' in {t.Describe()} is {n}: it must be 0 (no limit) to {MaxCommandRate}"),
        };
        var burst = t.Integer("command_burst") switch
        {
            null => Math.Max(rate, 1),
            >= 1 and <= MaxCommandRate and var n when rate > 0 => (int)n,
            var n when rate == 0 => throw t.LocationOf("command_burst").Error($"'command_burst' in {t.Describe()} is {n}, but 'commands_per_second' is 0 (no limit): a burst means nothing without a rate"),
            var n => throw t.LocationOf("command_burst").Error($"'command_burst' in {t.Describe()} is {n}: it must be 1 to {MaxCommandRate} (commands an agent may send at once above its rate)"),
        };
        var trace = t.Integer("trace_buffer_bytes") switch
        {
            null => AgentModel.DefaultTraceBufferBytes,
            >= 1024 and <= 64L * 1024 * 1024 and var n => (int)n,
            var n => throw t.LocationOf("trace_buffer_bytes").Error($"'trace_buffer_bytes' in {t.Describe()} is {n}: it must be 1024 to 67108864 (bytes of this agent's records a trace subscriber may hold unread)"),
        };
        return agent with
        {
            TraceBufferBytes = trace,
            AllowUnsealedMemory = t.Boolean("allow_unsealed_memory") ?? false,
            MaxConnections = MaxConnections(t),
            CommandsPerSecond = rate,
            CommandBurst = burst,
        };
    }

    private const int MaxCommandRate = 10_000_000;

    private static int MaxConnections(TomlTableNode t) => t.Integer("max_connections") switch
    {
        null => AgentModel.DefaultMaxConnections,
        >= 1 and <= 1024 and var n => (int)n,
        var n => throw t.LocationOf("max_connections").Error($"'max_connections' in {t.Describe()} is {n}: it must be 1 to 1024 (connections per stream socket, each with a thread)"),
    };

    /// <summary>An agent's views: each listed kind names the resources it sees, in the order of its ids.</summary>
    private static Dictionary<ResourceKind, int[]> ReadViews(TomlTableNode t, Dictionary<ResourceKind, (string Key, List<string> Names)> kinds)
    {
        var views = new Dictionary<ResourceKind, int[]>();
        foreach (var (kind, (key, names)) in kinds)
        {
            if (t.List(key) is not { } list)
                continue;
            var ids = new List<int>();
            foreach (var node in list)
            {
                var name = node is TomlScalar { Value: string s } ? s : throw node.Location.Error($"'{key}' in {t.Describe()} must list names");
                var id = names.IndexOf(name);
                if (id < 0)
                    throw node.Location.Error($"'{name}' in '{key}' of {t.Describe()} is not one of the model's {key} ({string.Join(", ", names)})");
                if (ids.Contains(id))
                    throw node.Location.Error($"'{name}' is listed twice in '{key}' of {t.Describe()}");
                ids.Add(id);
            }

            views[kind] = [.. ids];
        }

        t.RejectUnknownKeys();
        return views;
    }

    /// <summary>Refuses more [[key]] tables than the field carrying their count holds, at the first one too many.</summary>
    private static void CheckCount(IReadOnlyList<TomlTableNode> tables, string key, WireLimits.Limit limit)
    {
        if ((ulong)tables.Count > limit.Max)
            throw tables[(int)limit.Max].Location.Error($"{tables.Count} [[{key}]] tables: at most {limit.Max} ({limit.Reason})");
    }

    /// <summary>Refuses a list longer than the field carrying its length holds, at its first element too many.</summary>
    private static IReadOnlyList<TomlNode> CheckListLength(TomlTableNode t, string key, IReadOnlyList<TomlNode> list, WireLimits.Limit limit)
    {
        if ((ulong)list.Count > limit.Max)
            throw list[(int)limit.Max].Location.Error($"'{key}' in {t.Describe()} has {list.Count} entries: at most {limit.Max} ({limit.Reason})");
        return list;
    }

    /// <summary>
    /// An agent that sees a pin group must see each of its pins: configuring the group configures
    /// them, so a sandboxed agent could otherwise reach pins outside its view.
    /// </summary>
    private static void CheckPinView(TomlTableNode t, AgentModel agent, PinctrlModel? pinctrl)
    {
        if (pinctrl is null || !agent.Views.TryGetValue(ResourceKind.PinGroup, out var groups))
            return;
        agent.Views.TryGetValue(ResourceKind.Pin, out var pins);
        foreach (var group in groups)
        {
            foreach (var pin in pinctrl.Groups[group].Pins)
            {
                if (pins is not null && !pins.Contains(pin))
                    throw t.LocationOf("pin_groups").Error($"{t.Describe()} sees pin group '{pinctrl.Groups[group].Name}' but not its pin '{pinctrl.Pins[pin]}': list it in 'pins' too");
            }
        }
    }

    private static SystemPowerModel ReadSystem(TomlTableNode t)
    {
        var model = new SystemPowerModel(t.Boolean("warm_reset") ?? false, t.Boolean("suspend") ?? false);
        t.RejectUnknownKeys();
        return model;
    }

    private static PerfDomainModel ReadPerf(TomlTableNode t)
    {
        var name = Name(t);
        var sustainedKhz = Unsigned(t, "sustained_freq_khz") ?? throw t.Missing("sustained_freq_khz");
        var sustainedLevel = Unsigned(t, "sustained_level") ?? throw t.Missing("sustained_level");
        if (sustainedLevel == 0)
            throw t.LocationOf("sustained_level").Error($"'sustained_level' in {t.Describe()} must not be 0");
        var rateLimit = Unsigned(t, "rate_limit_us") ?? 0;
        if (rateLimit > Protocol.Fields.BitField.Get(RateLimitWord.RateLimitUsMask, RateLimitWord.RateLimitUsMask, RateLimitWord.RateLimitUsShift))
            throw t.LocationOf("rate_limit_us").Error($"'rate_limit_us' in {t.Describe()} = {rateLimit} does not fit 20 bits");
        var oppNodes = t.List("opps") ?? throw t.Missing("opps");
        var opps = new List<OppModel>();
        foreach (var node in oppNodes)
        {
            var opp = node as TomlTableNode ?? throw node.Location.Error($"each entry of 'opps' in {t.Describe()} must be a table {{ level = .., power_mw = .., latency_us = .. }}");
            var level = Unsigned(opp, "level") ?? throw opp.Missing("level");
            var power = Unsigned(opp, "power_mw") ?? 0;
            var latency = Unsigned(opp, "latency_us") ?? 0;
            if (latency > ushort.MaxValue)
                throw opp.LocationOf("latency_us").Error($"'latency_us' = {latency} does not fit 16 bits");
            var freq = Unsigned(opp, "freq_khz") ?? (uint)((ulong)level * sustainedKhz / sustainedLevel);
            opp.RejectUnknownKeys();
            if (opps.Count > 0 && level <= opps[^1].Level)
                throw opp.LocationOf("level").Error($"OPP levels in {t.Describe()} must be strictly ascending: {level} after {opps[^1].Level}");
            opps.Add(new OppModel(level, power, (ushort)latency, freq));
        }

        // Linux 6.12 rejects more than 32 levels per domain (MAX_OPPS; reference 1.7).
        if (opps.Count is 0 or > 32)
            throw t.LocationOf("opps").Error($"{t.Describe()} has {opps.Count} OPPs: 1 to 32 are allowed");
        var initial = Unsigned(t, "level") ?? opps[^1].Level;
        if (opps.All(o => o.Level != initial))
            throw t.LocationOf("level").Error($"'level' = {initial} in {t.Describe()} is not one of its OPP levels");
        var backend = ReadBackend(t, HostBackendKind.Cpufreq);
        t.RejectUnknownKeys();
        return new PerfDomainModel(name, opps, sustainedKhz, sustainedLevel, rateLimit, initial) { Backend = backend };
    }

    private static ClockModel ReadClock(TomlTableNode t, int id, List<string> names)
    {
        var name = Name(t);
        List<ulong>? rates = null;
        RateRange? range = null;
        if (t.List("rates") is { } list)
        {
            rates = list.Select(n => n is TomlScalar { Value: long v and > 0 } ? (ulong)v : throw n.Location.Error($"rates in {t.Describe()} must be positive integers (Hz)")).ToList();
            // Linux 6.12 keeps at most 16 discrete rates (SCMI_MAX_NUM_RATES) and needs at least one.
            if (rates.Count is 0 or > 16)
                throw t.LocationOf("rates").Error($"{t.Describe()} has {rates.Count} rates: 1 to 16 are allowed");
            for (var i = 1; i < rates.Count; i++)
            {
                if (rates[i] <= rates[i - 1])
                    throw t.LocationOf("rates").Error($"rates in {t.Describe()} must be strictly ascending: {rates[i]} after {rates[i - 1]}");
            }
        }

        if (t.Table("range") is { } r)
        {
            var min = UnsignedLong(r, "min") ?? throw r.Missing("min");
            var max = UnsignedLong(r, "max") ?? throw r.Missing("max");
            var step = UnsignedLong(r, "step") ?? throw r.Missing("step");
            r.RejectUnknownKeys();
            if (min == 0 || min > max || step == 0 || (max - min) % step != 0)
                throw r.Location.Error($"range in {t.Describe()} must have 0 < min <= max, step > 0 and max - min a multiple of step");
            range = new RateRange(min, max, step);
        }

        if ((rates is null) == (range is null))
            throw t.Location.Error($"{t.Describe()} needs exactly one of 'rates' or 'range'");
        var rate = UnsignedLong(t, "rate") ?? (rates is not null ? rates[0] : range!.Min);
        if (rates is not null ? !rates.Contains(rate) : !range!.Contains(rate))
            throw t.LocationOf("rate").Error($"'rate' = {rate} in {t.Describe()} is not one of the clock's rates");

        var parentIds = new List<int>();
        if (t.List("parents") is { } parents)
        {
            CheckListLength(t, "parents", parents, WireLimits.ClockParents);
            foreach (var p in parents)
            {
                var parentName = p is TomlScalar { Value: string s } ? s : throw p.Location.Error($"parents in {t.Describe()} must be clock names");
                var parentId = names.IndexOf(parentName);
                if (parentId < 0 || parentId == id)
                    throw p.Location.Error($"parent '{parentName}' of {t.Describe()} is not another clock");
                parentIds.Add(parentId);
            }
        }

        int? parent = parentIds.Count > 0 ? parentIds[0] : null;
        if (t.String("parent") is { } initialParent)
        {
            parent = names.IndexOf(initialParent);
            if (!parentIds.Contains(parent.Value))
                throw t.LocationOf("parent").Error($"'parent' = '{initialParent}' in {t.Describe()} is not in its 'parents'");
        }

        var model = new ClockModel(name, rates, range, rate, t.Boolean("enabled") ?? false, parentIds, parent, Unsigned(t, "enable_delay_us") ?? 0, AsyncLatency(t))
        {
            Backend = ReadBackend(t, HostBackendKind.Clk),
        };
        t.RejectUnknownKeys();
        return model;
    }

    private static SensorModel ReadSensor(TomlTableNode t)
    {
        var name = Name(t);
        var axes = ReadAxes(t);
        var source = axes.Count > 0
            ? (t.Peek("source") is null ? axes[0].Source : throw t.LocationOf("source").Error($"{t.Describe()} has 'axes': each axis has its own 'source'"))
            : ReadSource(t.Table("source") ?? throw t.Missing("source"), t);
        // A host channel knows its unit (hwmon's ABI fixes it): type and exponent default to it.
        var hostUnit = source.IsHost ? Host.HostSensorSource.UnitOf(source) : null;
        var typeName = hostUnit is null ? t.RequiredString("type") : t.String("type");
        var unit = typeName is null ? hostUnit!.UnitType
            : UnitType(typeName) ?? throw t.LocationOf("type").Error($"'type' = '{typeName}' in {t.Describe()} is not a sensor unit (for example temperature, voltage, current, power, energy, degrees_c, rpm)");
        var exponent = t.Integer("unit_exponent") ?? hostUnit?.DefaultExponent ?? 0;
        if (exponent is < -16 or > 15)
            throw t.LocationOf("unit_exponent").Error($"'unit_exponent' = {exponent} in {t.Describe()} does not fit the signed 5-bit field (-16..15)");
        var trips = t.Integer("trip_points") ?? 0;
        var tripLimit = WireLimits.TripPoints;
        if (trips < 0 || (ulong)trips > tripLimit.Max)
            throw t.LocationOf("trip_points").Error($"'trip_points' = {trips} in {t.Describe()} must be 0..{tripLimit.Max} ({tripLimit.Reason})");
        var interval = Unsigned(t, "update_interval_s") ?? 1;
        if (interval > ushort.MaxValue)
            throw t.LocationOf("update_interval_s").Error($"'update_interval_s' = {interval} does not fit 16 bits");
        var asyncLatency = AsyncLatency(t);
        if (axes.Count > 0 && trips != 0)
            throw t.LocationOf("trip_points").Error($"{t.Describe()} has axes: trip points are for scalar sensors");
        var enabled = t.Boolean("enabled") ?? axes.Count == 0;
        t.RejectUnknownKeys();
        return new SensorModel(name, unit, (int)exponent, (byte)trips, interval, source, asyncLatency) { Axes = axes, InitiallyEnabled = enabled };
    }

    /// <summary>
    /// <c>axes = [ { name = "x", source = {...} }, ...]</c>: 1 to 7 axes (a delayed response or a
    /// SENSOR_UPDATE with more does not fit a virtio channel's 128 bytes; reference 2.6).
    /// </summary>
    private static List<SensorAxisModel> ReadAxes(TomlTableNode t)
    {
        if (t.List("axes") is not { } list)
            return [];
        if (list.Count is 0 or > MaxAxes)
            throw t.LocationOf("axes").Error($"{t.Describe()} has {list.Count} axes: 1 to {MaxAxes} are allowed (readings of more do not fit a 128-byte channel)");
        var axes = new List<SensorAxisModel>();
        foreach (var node in list)
        {
            var axis = node as TomlTableNode ?? throw node.Location.Error($"each entry of 'axes' in {t.Describe()} must be a table {{ name = .., source = {{ .. }} }}");
            var name = Name(axis);
            if (axes.Any(a => a.Name == name))
                throw axis.LocationOf("name").Error($"two axes of {t.Describe()} are named '{name}'");
            var source = ReadSource(axis.Table("source") ?? throw axis.Missing("source"), t);
            axis.RejectUnknownKeys();
            axes.Add(new SensorAxisModel(name, source));
        }

        return axes;
    }

    private const int MaxAxes = 7;

    private static SensorSourceModel ReadSource(TomlTableNode s, TomlTableNode sensor)
    {
        var kindName = s.RequiredString("kind");
        var kind = kindName switch
        {
            "constant" => SensorSourceKind.Constant,
            "sine" => SensorSourceKind.Sine,
            "ramp" => SensorSourceKind.Ramp,
            "random_walk" => SensorSourceKind.RandomWalk,
            "file" => SensorSourceKind.File,
            "hwmon" => SensorSourceKind.Hwmon,
            "thermal" => SensorSourceKind.Thermal,
            "iio" => SensorSourceKind.Iio,
            "powercap" => SensorSourceKind.PowercapEnergy,
            _ => throw s.LocationOf("kind").Error($"source kind '{kindName}' in {sensor.Describe()} is not one of constant, sine, ramp, random_walk, file, hwmon, thermal, iio, powercap"),
        };
        SensorSourceModel model = kind switch
        {
            SensorSourceKind.Constant => new(kind, Value: Required(s, "value")),
            SensorSourceKind.Sine => new(kind, Base: Required(s, "base"), Amplitude: Required(s, "amplitude"), PeriodSeconds: Positive(s, "period_s")),
            SensorSourceKind.Ramp => new(kind, Start: s.Number("start") ?? 0, SlopePerSecond: Required(s, "slope_per_s")),
            SensorSourceKind.RandomWalk => new(kind, Start: Required(s, "start"), Min: Required(s, "min"), Max: Required(s, "max"), Step: Positive(s, "step"),
                Seed: (int)(s.Integer("seed") ?? 1)),
            SensorSourceKind.File => new(kind, Path: s.RequiredString("path"), Scale: s.Number("scale") ?? 1),
            SensorSourceKind.Hwmon => new(kind, Device: HostName(s, "chip", sensor), Channel: HostChannel(s, sensor, Host.HostChannelUnit.Hwmon, "temp1, in0, curr1, power1, energy1, fan1, humidity1")),
            SensorSourceKind.Thermal => new(kind, Device: HostName(s, "zone", sensor)),
            SensorSourceKind.Iio => new(kind, Device: HostName(s, "device", sensor), Channel: HostChannel(s, sensor, Host.HostChannelUnit.Iio, "in_voltage0, in_temp, in_accel_x, in_anglvel_z, in_illuminance, in_pressure")),
            _ => new(kind, Device: HostName(s, "zone", sensor)),
        };
        if (kind == SensorSourceKind.RandomWalk && !(model.Min <= model.Start && model.Start <= model.Max))
            throw s.Location.Error($"random_walk in {sensor.Describe()} needs min <= start <= max");
        s.RejectUnknownKeys();
        return model;
    }

    /// <summary>A host device's name (a hwmon chip, a zone): one path component.</summary>
    private static string HostName(TomlTableNode s, string key, TomlTableNode owner)
    {
        var value = s.RequiredString(key);
        if (value.Length == 0 || value.Contains('/') || value is "." or ".." || value.Any(char.IsControl))
            throw s.LocationOf(key).Error($"'{key}' = \"{value}\" in {owner.Describe()} must be a device name or directory name, not a path");
        return value;
    }

    /// <summary>A host sensor channel: one the backend knows the unit of.</summary>
    private static string HostChannel(TomlTableNode s, TomlTableNode sensor, Func<string, Host.HostChannelUnit?> unit, string examples)
    {
        var channel = s.RequiredString("channel");
        if (channel.Contains('/') || unit(channel) is null)
            throw s.LocationOf("channel").Error($"'channel' = \"{channel}\" in {sensor.Describe()} is not a channel with a known unit (for example {examples})");
        return channel;
    }

    /// <summary>
    /// A resource's host backend (<c>backend = { kind = "cpufreq", policy = "policy0" }</c>) and
    /// <c>control</c>, which lets agents' requests reach the host (the default only reads it).
    /// </summary>
    private static HostBinding? ReadBackend(TomlTableNode t, HostBackendKind allowed)
    {
        var control = t.Boolean("control");
        if (t.Table("backend") is not { } b)
        {
            if (control is not null)
                throw t.LocationOf("control").Error($"'control' in {t.Describe()} needs a 'backend' (it says whether agents may change the host resource)");
            return null;
        }

        var (kindName, key) = allowed switch
        {
            HostBackendKind.Cpufreq => ("cpufreq", "policy"),
            HostBackendKind.Clk => ("clk", "clock"),
            HostBackendKind.Regulator => ("regulator", "regulator"),
            HostBackendKind.RuntimePm => ("runtime_pm", "device"),
            _ => ("powercap", "zone"),
        };
        var kind = b.RequiredString("kind");
        if (kind != kindName)
            throw b.LocationOf("kind").Error($"backend kind '{kind}' in {t.Describe()} is not '{kindName}' (the only host backend for this resource; docs/host-backends.md)");
        var target = b.RequiredString(key);
        var isPath = allowed == HostBackendKind.RuntimePm;
        if (target.Length == 0 || target.Any(char.IsControl) || target.Split('/').Contains("..") || (!isPath && target.Contains('/')))
            throw b.LocationOf(key).Error($"'{key}' = \"{target}\" in {t.Describe()} must be {(isPath ? "a device path under sysfs (devices/platform/...)" : "a name, not a path")}");
        string? consumer = null;
        if (allowed == HostBackendKind.Regulator && b.String("consumer") is { } c)
        {
            if (c.Length == 0 || c.Any(char.IsControl) || c.Split('/').Contains(".."))
                throw b.LocationOf("consumer").Error($"'consumer' = \"{c}\" in {t.Describe()} must be a device path under sysfs (a reg-userspace-consumer)");
            consumer = c;
        }

        b.RejectUnknownKeys();
        return new HostBinding(allowed, target, control ?? false, consumer);
    }

    /// <summary>[host]: where backends find sysfs and debugfs.</summary>
    private static HostModel ReadHost(TomlTableNode t)
    {
        // debugfs follows a test tree's sysfs (ROOT/kernel/debug) unless it is given.
        var host = HostModel.Default.WithSysfs(t.String("sysfs") ?? HostModel.Default.Sysfs);
        if (t.String("debugfs") is { } debugfs)
            host = host with { Debugfs = debugfs };
        foreach (var (key, value) in new[] { ("sysfs", host.Sysfs), ("debugfs", host.Debugfs) })
        {
            if (!Path.IsPathRooted(value))
                throw t.LocationOf(key).Error($"'{key}' = \"{value}\" in [host] must be an absolute path");
        }

        t.RejectUnknownKeys();
        return host;
    }

    private static PowerDomainModel ReadPowerDomain(TomlTableNode t, int id, List<string> names)
    {
        var name = Name(t);
        var state = t.String("state") ?? "off";
        if (state is not ("on" or "off"))
            throw t.LocationOf("state").Error($"'state' = '{state}' in {t.Describe()} must be \"on\" or \"off\"");
        int? parent = null;
        if (t.String("parent") is { } parentName)
        {
            parent = names.IndexOf(parentName);
            if (parent < 0 || parent == id)
                throw t.LocationOf("parent").Error($"parent '{parentName}' of {t.Describe()} is not another power domain");
        }

        var asyncLatency = AsyncLatency(t);
        var backend = ReadBackend(t, HostBackendKind.RuntimePm);
        t.RejectUnknownKeys();
        return new PowerDomainModel(name, state == "on", parent, asyncLatency) { Backend = backend };
    }

    private static ResetDomainModel ReadReset(TomlTableNode t)
    {
        var model = new ResetDomainModel(Name(t), Unsigned(t, "latency_us") ?? 0xFFFFFFFF, t.Boolean("async") ?? false);
        if (model.Async && model.LatencyUs is 0xFFFFFFFF or > MaxAsyncLatencyUs)
            throw t.LocationOf("latency_us").Error($"an asynchronous {t.Describe()} needs 'latency_us' of at most {MaxAsyncLatencyUs} (the delay before its delayed response)");
        t.RejectUnknownKeys();
        return model;
    }

    private static VoltageDomainModel ReadVoltage(TomlTableNode t)
    {
        var name = Name(t);
        List<int>? levels = null;
        VoltageRange? range = null;
        if (t.List("levels_uv") is { } list)
        {
            CheckListLength(t, "levels_uv", list, WireLimits.VoltageLevels);
            levels = list.Select(n => n is TomlScalar { Value: long v } ? t.ToInt32("levels_uv", v) : throw n.Location.Error($"levels_uv in {t.Describe()} must be integers (microvolts)")).ToList();
            if (levels.Count == 0)
                throw t.LocationOf("levels_uv").Error($"{t.Describe()} needs at least one level (Linux hides a domain without levels)");
            for (var i = 1; i < levels.Count; i++)
            {
                if (levels[i] <= levels[i - 1])
                    throw t.LocationOf("levels_uv").Error($"levels_uv in {t.Describe()} must be strictly ascending");
            }
        }

        if (t.Table("range_uv") is { } r)
        {
            var min = r.ToInt32("min", r.Integer("min") ?? throw r.Missing("min"));
            var max = r.ToInt32("max", r.Integer("max") ?? throw r.Missing("max"));
            var step = r.ToInt32("step", r.Integer("step") ?? throw r.Missing("step"));
            r.RejectUnknownKeys();
            if (min > max || step <= 0 || ((long)max - min) % step != 0)
                throw r.Location.Error($"range_uv in {t.Describe()} must have min <= max, step > 0 and max - min a multiple of step");
            range = new VoltageRange(min, max, step);
        }

        if ((levels is null) == (range is null))
            throw t.Location.Error($"{t.Describe()} needs exactly one of 'levels_uv' or 'range_uv'");
        var level = t.Integer("level_uv") is { } l ? t.ToInt32("level_uv", l) : levels?[0] ?? range!.Min;
        if (levels is not null ? !levels.Contains(level) : !range!.Contains(level))
            throw t.LocationOf("level_uv").Error($"'level_uv' = {level} in {t.Describe()} is not one of the domain's levels");
        var on = t.Boolean("on") ?? true;
        var asyncLatency = AsyncLatency(t);
        var backend = ReadBackend(t, HostBackendKind.Regulator);
        t.RejectUnknownKeys();
        return new VoltageDomainModel(name, levels, range, level, on, asyncLatency) { Backend = backend };
    }

    /// <summary>
    /// A powercap domain. Linux 6.12 refuses the whole protocol if any domain breaks its rules
    /// (reference 2.9): min and max non-zero, min != max when configurable, step != 0 when min != max.
    /// </summary>
    private static PowercapDomainModel ReadPowercap(TomlTableNode t, List<PerfDomainModel> perf)
    {
        var name = Name(t);
        var backend = ReadBackend(t, HostBackendKind.Powercap);
        // A zone on the host measures its own power; a simulated domain measures a perf domain's OPP cost.
        var perfName = backend is null ? t.RequiredString("perf_domain") : t.String("perf_domain");
        var perfId = perfName is null ? -1 : perf.FindIndex(p => p.Name == perfName);
        if (perfName is not null && perfId < 0)
            throw t.LocationOf("perf_domain").Error($"'perf_domain' = '{perfName}' in {t.Describe()} is not a [[perf]] domain");
        (uint Min, uint Max, uint Step, uint Value) Triple(string min, string max, string step, string value, uint? defaultValue)
        {
            var lo = Unsigned(t, min) ?? throw t.Missing(min);
            var hi = Unsigned(t, max) ?? throw t.Missing(max);
            var st = Unsigned(t, step) ?? throw t.Missing(step);
            if (lo == 0 || hi == 0 || lo >= hi || st == 0 || (hi - lo) % st != 0)
                throw t.LocationOf(min).Error($"{t.Describe()}: '{min}'..'{max}' must be non-zero with {min} < {max}, '{step}' > 0 and {max} - {min} a multiple of it (Linux rejects the protocol otherwise)");
            var v = Unsigned(t, value) ?? defaultValue ?? hi;
            if (v != 0 && (v < lo || v > hi || (v - lo) % st != 0))
                throw t.LocationOf(value).Error($"'{value}' = {v} in {t.Describe()} is not 0 (disabled) or a step of {lo}..{hi}");
            return (lo, hi, st, v);
        }

        var cap = Triple("min_cap_mw", "max_cap_mw", "cap_step_mw", "cap_mw", null);
        var pai = Triple("min_pai_us", "max_pai_us", "pai_step_us", "pai_us", null);
        if (pai.Value == 0)
            throw t.LocationOf("pai_us").Error($"'pai_us' in {t.Describe()} must not be 0");
        var model = new PowercapDomainModel(name, perfId, cap.Min, cap.Max, cap.Step, cap.Value, pai.Min, pai.Max, pai.Step, pai.Value,
            Unsigned(t, "sustainable_power_mw") ?? cap.Max, Unsigned(t, "accuracy") ?? 0, AsyncLatency(t))
        {
            Backend = backend,
        };
        t.RejectUnknownKeys();
        return model;
    }

    /// <summary>[pinctrl]: pins = [names], [[pinctrl.group]] name + pins, [[pinctrl.function]] name + groups (+ gpio).</summary>
    private static PinctrlModel ReadPinctrl(TomlTableNode t)
    {
        var pinNodes = t.List("pins") ?? throw t.Missing("pins");
        CheckListLength(t, "pins", pinNodes, WireLimits.Resources(ResourceKind.Pin));
        var pins = pinNodes.Select(n => n is TomlScalar { Value: string s } && s.Length is > 0 and <= 63 ? s : throw n.Location.Error("pins must be names of 1 to 63 characters")).ToList();
        if (pins.Count == 0)
            throw t.LocationOf("pins").Error("[pinctrl] needs at least one pin (Linux fails the protocol with none)");
        UniqueNames(t, "pins", pins);
        int[] Resolve(TomlTableNode owner, string key, List<string> names, string what) =>
            CheckListLength(owner, key, owner.List(key) ?? throw owner.Missing(key), WireLimits.PinElements).Select(n =>
            {
                var name = n is TomlScalar { Value: string s } ? s : throw n.Location.Error($"'{key}' in {owner.Describe()} must be {what} names");
                var index = names.IndexOf(name);
                return index >= 0 ? index : throw n.Location.Error($"'{name}' in {owner.Describe()} is not a {what}");
            }).ToArray();

        CheckCount(t.Tables("group"), "pinctrl.group", WireLimits.Resources(ResourceKind.PinGroup));
        CheckCount(t.Tables("function"), "pinctrl.function", WireLimits.Resources(ResourceKind.PinFunction));
        var groups = t.Tables("group").Select(g =>
        {
            var group = new PinGroupModel(Name(g), Resolve(g, "pins", pins, "pin"));
            g.RejectUnknownKeys();
            return group;
        }).ToList();
        var groupNames = groups.Select(g => g.Name).ToList();
        var functions = t.Tables("function").Select(f =>
        {
            var function = new PinFunctionModel(Name(f), Resolve(f, "groups", groupNames, "group"), f.Boolean("gpio") ?? false);
            f.RejectUnknownKeys();
            return function;
        }).ToList();
        UniqueNames(t, "group", groupNames);
        UniqueNames(t, "function", functions.Select(f => f.Name));
        t.RejectUnknownKeys();
        return new PinctrlModel(pins, groups, functions);
    }

    private static void CheckPowerHierarchy(IReadOnlyList<TomlTableNode> tables, List<PowerDomainModel> domains)
    {
        for (var i = 0; i < domains.Count; i++)
        {
            var seen = new HashSet<int> { i };
            for (var p = domains[i].ParentId; p is { } parent; p = domains[parent].ParentId)
            {
                if (!seen.Add(parent))
                    throw tables[i].LocationOf("parent").Error($"power domain '{domains[i].Name}' is part of a parent cycle");
            }

            if (domains[i].InitiallyOn && domains[i].ParentId is { } pid && !domains[pid].InitiallyOn)
                throw tables[i].LocationOf("state").Error($"power domain '{domains[i].Name}' is on but its parent '{domains[pid].Name}' is off");
        }
    }

    /// <summary>Names may be up to 63 characters; longer than 15 uses the extended-name commands.</summary>
    private static string Name(TomlTableNode t)
    {
        var name = t.RequiredString("name");
        if (name.Length is 0 or > 63 || name.Any(c => c is < ' ' or > '~'))
            throw t.LocationOf("name").Error($"'name' = \"{name}\" in {t.Describe()} must be 1 to 63 printable ASCII characters (Linux hides resources with empty names)");
        return name;
    }

    private static string ShortName(TomlTableNode t, string key, string value)
    {
        if (value.Length > 15 || value.Any(c => c is < ' ' or > '~'))
            throw t.LocationOf(key).Error($"'{key}' = \"{value}\" in {t.Describe()} must be at most 15 printable ASCII characters (a 16-byte SCMI name)");
        return value;
    }

    private static void UniqueNames(TomlTableNode root, string key, IEnumerable<string> names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!seen.Add(name))
                throw root.LocationOf(key).Error($"two [[{key}]] entries are named '{name}'");
        }
    }

    private static uint? Unsigned(TomlTableNode t, string key) => t.Integer(key) is { } v ? t.ToUInt32(key, v) : null;

    private static ulong? UnsignedLong(TomlTableNode t, string key) => t.Integer(key) is { } v
        ? v >= 0 ? (ulong)v : throw t.LocationOf(key).Error($"'{key}' in {t.Describe()} must not be negative")
        : null;

    /// <summary>Linux waits 2 s for a delayed response (reference 4.4); a model may not ask for more than 1 s.</summary>
    private const uint MaxAsyncLatencyUs = 1_000_000;

    /// <summary>'async_latency_us': the resource supports asynchronous commands, completing after this delay.</summary>
    private static uint? AsyncLatency(TomlTableNode t)
    {
        var latency = Unsigned(t, "async_latency_us");
        if (latency > MaxAsyncLatencyUs)
            throw t.LocationOf("async_latency_us").Error($"'async_latency_us' = {latency} in {t.Describe()} exceeds {MaxAsyncLatencyUs} (Linux gives up on a delayed response after 2 s)");
        return latency;
    }

    private static double Required(TomlTableNode t, string key) => t.Number(key) ?? throw t.Missing(key);

    private static double Positive(TomlTableNode t, string key)
    {
        var value = Required(t, key);
        return value > 0 ? value : throw t.LocationOf(key).Error($"'{key}' in {t.Describe()} must be greater than 0");
    }

    private static byte? UnitType(string name)
    {
        var alias = name switch
        {
            "temperature" => "degrees_c",
            "voltage" => "volts",
            "current" => "amps",
            "power" => "watts",
            "energy" => "joules",
            _ => name,
        };
        foreach (var (value, unit) in Vscmi.Protocol.Protocols.ScmiCatalog.SensorUnits.Names)
        {
            if (unit == alias)
                return (byte)value;
        }

        return null;
    }


    private static string ReadDefault()
    {
        using var stream = typeof(ModelLoader).Assembly.GetManifestResourceStream("Vscmi.Platform.default-model.toml")
            ?? throw new InvalidOperationException("the default model resource is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
