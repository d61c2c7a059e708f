using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vscmi.Agent;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Cli;

/// <summary>The client commands: listings, setters and watch, over any --connect endpoint.</summary>
internal static partial class ClientCommands
{
    private const string ConnectHelp = Connector.Help;

    public static IEnumerable<Command> Create() =>
    [
        Listing("info", "Show the platform: vendor, versions, agents, and each protocol with its version.", InfoAsync),
        Listing("clocks", "List clocks: rate, enabled, rates, parent.", ClocksAsync),
        Listing("sensors", "List sensors with a current reading each.", SensorsAsync),
        WithSubcommands(Listing("perf", "List performance domains: level, limits, levels.", PerfAsync),
            Setter("set-level", "Set a performance domain's level.", ["domain", "level"], async (c, a, ct) =>
            {
                var id = await Resolve(a[0], await c.Perf.GetDomainCountAsync(ct), async i => (await c.Perf.GetDomainAsync(i, ct)).Name);
                await c.Perf.SetLevelAsync(id, UInt(a[1]), ct);
                return $"perf domain {id}: level {await c.Perf.GetLevelAsync(id, ct)}";
            }),
            Setter("set-limits", "Set a performance domain's limits.", ["domain", "min", "max"], async (c, a, ct) =>
            {
                var id = await Resolve(a[0], await c.Perf.GetDomainCountAsync(ct), async i => (await c.Perf.GetDomainAsync(i, ct)).Name);
                await c.Perf.SetLimitsAsync(id, UInt(a[2]), UInt(a[1]), ct);
                var (max, min) = await c.Perf.GetLimitsAsync(id, ct);
                return $"perf domain {id}: limits {min}..{max}, level {await c.Perf.GetLevelAsync(id, ct)}";
            })),
        WithSubcommands(Listing("power", "List power domains and their states.", PowerAsync),
            Setter("set-state", "Turn a power domain on or off.", ["domain", "on|off"], async (c, a, ct) =>
            {
                var id = await Resolve(a[0], await c.Power.GetDomainCountAsync(ct), async i => (await c.Power.GetDomainAsync(i, ct)).Name);
                await c.Power.SetStateAsync(id, OnOff(a[1]) ? PowerClient.On : PowerClient.Off, ct);
                return $"power domain {id}: {(await c.Power.GetStateAsync(id, ct) == PowerClient.On ? "on" : "off")}";
            })),
        Listing("resets", "List reset domains.", ResetsAsync),
        ResetCommand(),
        Listing("voltages", "List voltage domains: level, mode, levels.", VoltagesAsync),
        new Command("voltage", "Set voltage domains.")
        {
            Setter("set-level", "Set a voltage domain's level (microvolts).", ["domain", "microvolts"], async (c, a, ct) =>
            {
                var id = await Resolve(a[0], await c.Voltage.GetDomainCountAsync(ct), async i => (await c.Voltage.GetDomainAsync(i, ct)).Name);
                await c.Voltage.SetLevelAsync(id, int.Parse(a[1], CultureInfo.InvariantCulture), ct);
                return $"voltage domain {id}: {await c.Voltage.GetLevelAsync(id, ct)} uV";
            }),
            Setter("set-config", "Turn a voltage domain on or off.", ["domain", "on|off"], async (c, a, ct) =>
            {
                var id = await Resolve(a[0], await c.Voltage.GetDomainCountAsync(ct), async i => (await c.Voltage.GetDomainAsync(i, ct)).Name);
                await c.Voltage.SetConfigAsync(id, OnOff(a[1]) ? 7u : 0u, ct);
                return $"voltage domain {id}: {(await c.Voltage.GetConfigAsync(id, ct) == 7 ? "on" : "off")}";
            }),
        },
        new Command("clock", "Set clocks.")
        {
            ClockRateCommand(),
            Setter("enable", "Enable a clock.", ["clock"], (c, a, ct) => SetClockEnabled(c, a[0], true, ct)),
            Setter("disable", "Disable a clock.", ["clock"], (c, a, ct) => SetClockEnabled(c, a[0], false, ct)),
        },
        WithSubcommands(Listing("powercap", "List power capping domains.", PowercapAsync),
            Setter("set-cap", "Set a power capping domain's cap.", ["domain", "cap"], async (c, a, ct) =>
            {
                var id = UInt(a[0]);
                await c.Powercap.SetCapAsync(id, UInt(a[1]), ct);
                return $"powercap domain {id}: cap {await c.Powercap.GetCapAsync(id, ct)}";
            })),
        Listing("pins", "List pins, groups and functions.", PinsAsync),
        SystemCommand(),
        WatchCommand(),
        EventsCommand(),
        PermissionsCommand(),
    ];

    private static Command WithSubcommands(Command parent, params Command[] children)
    {
        foreach (var child in children)
            parent.Subcommands.Add(child);
        return parent;
    }

    private static Option<string> ConnectOption() => new("--connect", "-c") { Description = ConnectHelp, DefaultValueFactory = _ => "unix:vscmi.sock" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table." };

    private static Command Listing(string name, string description, Func<ScmiClient, bool, CancellationToken, Task> body)
    {
        var connect = ConnectOption();
        var json = JsonOption();
        var command = new Command(name, description) { connect, json };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, c => body(c, parse.GetValue(json), ct)));
        return command;
    }

    private static Command Setter(string name, string description, string[] arguments, Func<ScmiClient, string[], CancellationToken, Task<string>> body)
    {
        var connect = ConnectOption();
        var args = arguments.Select(a => new Argument<string>(a.Replace('|', '_')) { Description = a }).ToArray();
        var command = new Command(name, description) { connect };
        foreach (var arg in args)
            command.Arguments.Add(arg);
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, async c =>
            global::System.Console.WriteLine(await body(c, args.Select(a => parse.GetValue(a)!).ToArray(), ct))));
        return command;
    }

    /// <summary>Connects, runs, and turns the agent's exceptions into one clear line and an exit code.</summary>
    private static async Task<int> RunAsync(string endpoint, Func<ScmiClient, Task> body)
    {
        try
        {
            await using var client = await Connector.ConnectAsync(endpoint, CancellationToken.None);
            await body(client);
            return 0;
        }
        catch (FormatException e)
        {
            await global::System.Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (ScmiClientException e)
        {
            await global::System.Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (ArgumentException e)
        {
            await global::System.Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
    }

    private static uint UInt(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"'{text}' is not a non-negative integer");

    private static bool OnOff(string text) => text switch
    {
        "on" => true,
        "off" => false,
        _ => throw new FormatException($"'{text}' is not on or off"),
    };

    /// <summary>A resource (or, with <paramref name="noun"/> and <paramref name="first"/>, an agent) by id or by name; ids <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    private static async Task<uint> Resolve(string text, int count, Func<uint, Task<string>> nameOf, string noun = "resource", uint first = 0)
    {
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return id;
        var names = new List<string>();
        for (var i = first; i < first + count; i++)
        {
            var name = await nameOf(i);
            if (name == text)
                return i;
            names.Add(name);
        }

        throw new FormatException($"no {noun} named '{text}' (there are: {string.Join(", ", names)})");
    }

    private static async Task InfoAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var info = await c.Base.DiscoverAsync(ct);
        var agents = new List<object?[]>();
        for (uint i = 0; i <= info.AgentCount; i++)
        {
            try
            {
                var agent = await c.Base.DiscoverAgentAsync(i, ct);
                agents.Add([agent.Id, agent.Name]);
            }
            catch (ScmiStatusException)
            {
            }
        }

        var self = await c.Base.DiscoverAgentAsync(0xFFFFFFFF, ct);
        var protocols = new List<object?[]>();
        var versions = new Dictionary<byte, uint> { [(byte)ScmiProtocolId.BASE] = info.BaseVersion };
        foreach (var id in info.Protocols)
        {
            var spec = ScmiCatalog.Find(id);
            uint? version = null;
            if (spec is not null)
                version = await new ProtocolVersionProbe(c, spec.Id).GetAsync(ct);
            if (version is { } known)
                versions[id] = known;
            protocols.Add([$"0x{id:X2}", spec?.ShortName ?? "vendor", version is { } v ? ScmiVersion.Format(v) : "?"]);
        }

        // The release is not on the wire: it is the one whose protocol versions these are (reference 1.8).
        var release = ScmiRelease.Infer(versions)?.Name ?? "mixed (no single release has these versions)";

        if (json)
        {
            Output.Object(true, "", [
                ("vendor", "", info.Vendor), ("sub_vendor", "", info.SubVendor), ("implementation_version", "", $"0x{info.ImplementationVersion:X8}"),
                ("base_version", "", ScmiVersion.Format(info.BaseVersion)), ("scmi_release", "", release), ("agent_id", "", self.Id), ("agent", "", self.Name),
                ("agents", "", agents.Select(a => new (string, object?)[] { ("id", a[0]), ("name", a[1]) }).ToList()),
                ("protocols", "", protocols.Select(p => new (string, object?)[] { ("id", p[0]), ("name", p[1]), ("version", p[2]) }).ToList()),
            ]);
            return;
        }

        Output.Object(false, "SCMI platform", [
            ("vendor", "Vendor", $"{info.Vendor} / {info.SubVendor}"),
            ("implementation_version", "Implementation", $"0x{info.ImplementationVersion:X8}"),
            ("base_version", "Base protocol", ScmiVersion.Format(info.BaseVersion)),
            ("scmi_release", "SCMI release", release),
            ("agent", "This agent", $"{self.Name} ({self.Id})"),
        ]);
        Output.Rows(false, "Agents", [new("id", "Id"), new("name", "Name")], agents);
        Output.Rows(false, "Protocols", [new("id", "Id"), new("name", "Protocol"), new("version", "Version")], protocols);
    }

    private sealed class ProtocolVersionProbe(ScmiClient client, ScmiProtocolId id)
    {
        public async Task<uint?> GetAsync(CancellationToken ct)
        {
            try
            {
                // PROTOCOL_VERSION has the same layout in every protocol (reference 1.4).
                var reply = await client.CallAsync(id, (byte)BaseMessageId.PROTOCOL_VERSION, new Protocol.Schema.FieldSet(), ct);
                return Protocol.Messages.BaseMessages.ProtocolVersionResponse.From(reply).Version;
            }
            catch (ScmiStatusException)
            {
                return null;
            }
        }
    }

    private static async Task ClocksAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        for (uint id = 0; id < await c.Clock.GetClockCountAsync(ct); id++)
        {
            var clock = await c.Clock.GetClockAsync(id, ct);
            var rates = await c.Clock.DescribeRatesAsync(id, ct);
            uint? parent = clock.HasParents ? await c.Clock.GetParentAsync(id, ct) : null;
            rows.Add([id, clock.Name, await c.Clock.GetRateAsync(id, ct), clock.Enabled,
                rates.Range is { } r ? $"{Output.Hertz(r.Min)}..{Output.Hertz(r.Max)} step {Output.Hertz(r.Step)}" : string.Join(", ", rates.Discrete!.Select(x => Output.Hertz(x))), parent]);
        }

        Output.Rows(json, "Clocks",
            [new("id", "Id"), new("name", "Name"), new("rate_hz", "Rate", Output.Hertz), new("enabled", "Enabled"), new("rates", "Rates"), new("parent", "Parent")], rows);
    }

    private static async Task SensorsAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        await foreach (var s in c.Sensor.DescribeAsync(ct))
        {
            object? value;
            IReadOnlyList<SensorReading> readings = [];
            try
            {
                readings = await c.Sensor.ReadAsync(s.Id, ct);
                value = readings[0].Value;
            }
            catch (ScmiStatusException e)
            {
                value = e.StatusCode.ToString();
            }

            var unit = UnitName(s.UnitType);
            var reading = value is long v ? $"{v * Math.Pow(10, s.UnitExponent):0.###} {unit}" : "-";
            if (s.Axes > 0 && readings.Count > 1)
            {
                // A multi-axis sensor: every axis by name (the raw value is the first axis's).
                var names = await c.Sensor.DescribeAxesAsync(s.Id, ct).Select(a => a.Name).ToListAsync(ct);
                reading = string.Join(" ", readings.Select((r, i) => $"{(i < names.Count ? names[i] : i.ToString(CultureInfo.InvariantCulture))}={r.Value * Math.Pow(10, s.UnitExponent):0.###}")) + $" {unit}";
            }

            rows.Add([s.Id, s.Name, unit, s.UnitExponent, value, reading, s.TripPoints]);
        }

        Output.Rows(json, "Sensors",
            [new("id", "Id"), new("name", "Name"), new("unit", "Unit"), new("unit_exponent", "Exp"), new("value", "Raw"), new("reading", "Reading"), new("trip_points", "Trips")], rows);
    }

    private static string UnitName(byte unit) => ScmiCatalog.SensorUnits.NameOf(unit) ?? $"0x{unit:X2}";

    private static async Task PerfAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        for (uint id = 0; id < await c.Perf.GetDomainCountAsync(ct); id++)
        {
            var d = await c.Perf.GetDomainAsync(id, ct);
            var (max, min) = await c.Perf.GetLimitsAsync(id, ct);
            var levels = await c.Perf.DescribeLevelsAsync(id, ct).ToListAsync(ct);
            var level = await c.Perf.GetLevelAsync(id, ct);
            var khz = levels.FirstOrDefault(l => l.Level == level)?.IndicativeFrequencyKhz;
            // Before Perf v4.0 (SCMI 3.1 and older) levels carry no frequency: derive it as Linux
            // does, level × sustained_freq / sustained_level (reference 2.4).
            if (khz is null or 0 && d.SustainedLevel != 0)
                khz = (uint)((ulong)level * d.SustainedFrequencyKhz / d.SustainedLevel);
            rows.Add([id, d.Name, level, khz, min, max, levels.Select(l => l.Level).ToArray()]);
        }

        Output.Rows(json, "Performance domains",
            [new("id", "Id"), new("name", "Name"), new("level", "Level"), new("frequency_khz", "kHz"), new("range_min", "Min"), new("range_max", "Max"),
                new("levels", "Levels", v => string.Join(", ", (uint[])v!))], rows);
    }

    private static async Task PowerAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        for (uint id = 0; id < await c.Power.GetDomainCountAsync(ct); id++)
        {
            var d = await c.Power.GetDomainAsync(id, ct);
            var state = await c.Power.GetStateAsync(id, ct);
            rows.Add([id, d.Name, state == PowerClient.On ? "on" : state == PowerClient.Off ? "off" : $"0x{state:X8}"]);
        }

        Output.Rows(json, "Power domains", [new("id", "Id"), new("name", "Name"), new("state", "State")], rows);
    }

    private static async Task ResetsAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        for (uint id = 0; id < await c.Reset.GetDomainCountAsync(ct); id++)
        {
            var d = await c.Reset.GetDomainAsync(id, ct);
            rows.Add([id, d.Name, d.LatencyUs == 0xFFFFFFFF ? null : d.LatencyUs, d.AsyncReset]);
        }

        Output.Rows(json, "Reset domains", [new("id", "Id"), new("name", "Name"), new("latency_us", "Latency (us)"), new("async", "Async")], rows);
    }

    private static async Task VoltagesAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        var rows = new List<object?[]>();
        for (uint id = 0; id < await c.Voltage.GetDomainCountAsync(ct); id++)
        {
            var d = await c.Voltage.GetDomainAsync(id, ct);
            var (levels, range) = await c.Voltage.DescribeLevelsAsync(id, ct);
            rows.Add([id, d.Name, await c.Voltage.GetLevelAsync(id, ct), await c.Voltage.GetConfigAsync(id, ct) == 7 ? "on" : "off",
                range is { } r ? $"{Output.Microvolts(r.Min)}..{Output.Microvolts(r.Max)} step {r.Step} uV" : string.Join(", ", levels!.Select(l => Output.Microvolts(l)))]);
        }

        Output.Rows(json, "Voltage domains",
            [new("id", "Id"), new("name", "Name"), new("level_uv", "Level", Output.Microvolts), new("mode", "Mode"), new("levels", "Levels")], rows);
    }

    /// <summary>Fails with a readable message when the platform does not list the protocol.</summary>
    private static async Task RequireAsync(ScmiClient c, ScmiProtocolId protocol, CancellationToken ct)
    {
        var info = await c.Base.DiscoverAsync(ct);
        if (!info.Protocols.Contains((byte)protocol))
        {
            throw new ScmiClientException($"the platform does not implement {protocol} (0x{(byte)protocol:X2}); it implements " +
                string.Join(", ", info.Protocols.Select(p => ScmiCatalog.Find(p)?.ShortName ?? $"0x{p:X2}")));
        }
    }

    private static async Task PowercapAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        await RequireAsync(c, ScmiProtocolId.POWERCAP, ct);
        var count = await c.Powercap.GetDomainCountAsync(ct);
        var rows = new List<object?[]>();
        for (uint id = 0; id < count; id++)
        {
            var d = await c.Powercap.GetDomainAsync(id, ct);
            rows.Add([id, d.Name, await c.Powercap.GetCapAsync(id, ct), d.MinCap, d.MaxCap]);
        }

        Output.Rows(json, "Power capping domains", [new("id", "Id"), new("name", "Name"), new("cap", "Cap"), new("min_cap", "Min"), new("max_cap", "Max")], rows);
    }

    private static async Task PinsAsync(ScmiClient c, bool json, CancellationToken ct)
    {
        await RequireAsync(c, ScmiProtocolId.PINCTRL, ct);
        var attributes = await c.Pinctrl.GetProtocolAttributesAsync(ct);
        var rows = new List<object?[]>();
        foreach (var (kind, selector, field) in new[] { ("pin", 0u, "num_pins"), ("group", 1u, "num_groups"), ("function", 2u, "num_functions") })
        {
            for (uint id = 0; id < attributes.GetUInt64(field); id++)
                rows.Add([kind, id, (await c.Pinctrl.GetAttributesAsync(id, (PinctrlSelector)selector, ct)).Name]);
        }

        Output.Rows(json, "Pin control", [new("kind", "Kind"), new("id", "Id"), new("name", "Name")], rows);
    }

    private static Command ClockRateCommand()
    {
        var connect = ConnectOption();
        var clock = new Argument<string>("clock") { Description = "Clock id or name." };
        var rate = new Argument<string>("rate") { Description = "Rate in Hz." };
        var round = new Option<string>("--round") { Description = "Rounding when the rate is not exact: down, up or closest.", DefaultValueFactory = _ => "closest" };
        var command = new Command("set-rate", "Set a clock's rate (Hz).") { clock, rate, connect, round };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, async c =>
        {
            var rounding = parse.GetValue(round) switch
            {
                "down" => ClockRounding.Down,
                "up" => ClockRounding.Up,
                "closest" => ClockRounding.Closest,
                var other => throw new FormatException($"--round '{other}' is not down, up or closest"),
            };
            var hz = ulong.TryParse(parse.GetValue(rate), NumberStyles.None, CultureInfo.InvariantCulture, out var r)
                ? r
                : throw new FormatException($"'{parse.GetValue(rate)}' is not a rate in Hz");
            var id = await Resolve(parse.GetValue(clock)!, await c.Clock.GetClockCountAsync(ct), async i => (await c.Clock.GetClockAsync(i, ct)).Name);
            await c.Clock.SetRateAsync(id, hz, rounding, ct);
            global::System.Console.WriteLine($"clock {id}: {await c.Clock.GetRateAsync(id, ct)} Hz");
        }));
        return command;
    }

    private static async Task<string> SetClockEnabled(ScmiClient c, string clock, bool enable, CancellationToken ct)
    {
        var id = await Resolve(clock, await c.Clock.GetClockCountAsync(ct), async i => (await c.Clock.GetClockAsync(i, ct)).Name);
        await c.Clock.SetEnabledAsync(id, enable, ct);
        return $"clock {id}: {((await c.Clock.GetConfigAsync(id, 0, ct)).Enabled ? "enabled" : "disabled")}";
    }

    private static Command ResetCommand()
    {
        var connect = ConnectOption();
        var domain = new Argument<string>("domain") { Description = "Reset domain id or name." };
        var assert = new Option<bool>("--assert") { Description = "Hold the domain in reset (explicit assert)." };
        var deassert = new Option<bool>("--deassert") { Description = "Release the domain (explicit deassert)." };
        var command = new Command("reset", "Reset a domain (assert then deassert), or hold/release it.") { domain, connect, assert, deassert };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, async c =>
        {
            var id = await Resolve(parse.GetValue(domain)!, await c.Reset.GetDomainCountAsync(ct), async i => (await c.Reset.GetDomainAsync(i, ct)).Name);
            if (parse.GetValue(assert) && parse.GetValue(deassert))
                throw new FormatException("--assert and --deassert exclude each other");
            if (parse.GetValue(assert) || parse.GetValue(deassert))
                await c.Reset.SetAssertedAsync(id, parse.GetValue(assert), ct);
            else
                await c.Reset.ResetAsync(id, ct);
            global::System.Console.WriteLine($"reset domain {id}: {(parse.GetValue(assert) ? "asserted" : parse.GetValue(deassert) ? "deasserted" : "reset")}");
        }));
        return command;
    }

    private static Command SystemCommand()
    {
        Command Make(string name, uint state, string description)
        {
            var connect = ConnectOption();
            var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
            var forceful = new Option<bool>("--forceful") { Description = "A forceful request instead of a graceful one." };
            var agent = new Option<string?>("--agent")
            {
                Description = "Ask one agent (a VM), by name or id, instead of the platform: it gets SYSTEM_POWER_STATE_NOTIFIER and, with Linux's scmi_power_control, powers off or reboots in an orderly way. Needs a trusted agent's connection (OSPM).",
            };
            var timeout = new Option<uint>("--timeout-ms") { Description = "With --agent: the notifier's timeout, after which Linux forces the transition (0: none)." };
            var command = new Command(name, description) { connect, yes, forceful, agent, timeout };
            command.SetAction((parse, ct) =>
            {
                if (!parse.GetValue(yes) && parse.GetValue(agent) is null)
                {
                    if (global::System.Console.IsInputRedirected)
                    {
                        global::System.Console.Error.WriteLine($"error: 'system {name}' needs confirmation: pass --yes (standard input is not a terminal)");
                        return Task.FromResult(2);
                    }

                    if (!AnsiConsole.Confirm($"Request system {name} from the platform?", defaultValue: false))
                        return Task.FromResult(1);
                }

                return RunAsync(parse.GetValue(connect)!, async c =>
                {
                    if (parse.GetValue(agent) is { } target)
                    {
                        var agentId = await ResolveAgentAsync(c, target, ct);
                        try
                        {
                            await c.Vendor.NotifyAgentSystemPowerAsync(agentId, state, graceful: !parse.GetValue(forceful), parse.GetValue(timeout), ct);
                        }
                        catch (ScmiStatusException e) when (e.StatusCode == ScmiStatus.NOT_SUPPORTED)
                        {
                            throw new ScmiClientException($"agent {target} has no channel subscribed to SYSTEM_POWER_STATE_NOTIFY (is its VM running with scmi_power_control?), or this connection's agent is not trusted", e);
                        }

                        global::System.Console.WriteLine($"system {name} requested of agent {target} ({agentId})");
                        return;
                    }

                    await c.System.SetStateAsync(state, graceful: !parse.GetValue(forceful), ct);
                    global::System.Console.WriteLine($"system {name} requested");
                });
            });
            return command;
        }

        return new Command("system", "Request a system state from the platform (with confirmation).")
        {
            Make("shutdown", 0, "Request a system shutdown."),
            Make("reboot", 1, "Request a cold reset (reboot)."),
        };
    }

    private static Command WatchCommand()
    {
        var connect = ConnectOption();
        var interval = new Option<int>("--interval") { Description = "Refresh period in milliseconds.", DefaultValueFactory = _ => 1000 };
        var count = new Option<int>("--count") { Description = "Stop after this many refreshes (0: until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var command = new Command("watch", "A live view of sensor readings, performance levels and incoming notifications, until Ctrl-C.") { connect, interval, count };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, c => WatchAsync(c, Math.Max(50, parse.GetValue(interval)), parse.GetValue(count), ct)));
        return command;
    }

    private static async Task WatchAsync(ScmiClient c, int intervalMs, int count, CancellationToken ct)
    {
        var sensors = await c.Sensor.DescribeAsync(ct).ToListAsync(ct);
        var domains = new List<PerfDomainInfo>();
        for (uint id = 0; id < await c.Perf.GetDomainCountAsync(ct); id++)
        {
            domains.Add(await c.Perf.GetDomainAsync(id, ct));
            await TryAsync(() => c.Perf.NotifyLevelAsync(id, true, ct));
        }

        var notifications = new List<string>();
        var listening = Task.Run(async () =>
        {
            await foreach (var n in c.ReadNotificationsAsync(ct))
            {
                lock (notifications)
                {
                    notifications.Add($"{DateTime.Now:HH:mm:ss} {Protocol.Schema.ScmiFormatter.Format(n)}");
                    if (notifications.Count > 8)
                        notifications.RemoveAt(0);
                }
            }
        }, ct);

        async Task<Table> SnapshotAsync()
        {
            var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle($"vscmi watch  {DateTime.Now:HH:mm:ss}") };
            table.AddColumn("Resource").AddColumn("Value");
            foreach (var s in sensors)
            {
                var value = (await c.Sensor.ReadAsync(s.Id, ct))[0].Value;
                table.AddRow(Markup.Escape($"sensor {s.Name}"), Markup.Escape($"{value * Math.Pow(10, s.UnitExponent):0.###} {UnitName(s.UnitType)}"));
            }

            foreach (var d in domains)
                table.AddRow(Markup.Escape($"perf {d.Name}"), $"level {await c.Perf.GetLevelAsync(d.Id, ct)}");
            lock (notifications)
            {
                foreach (var n in notifications)
                    table.AddRow("notification", Markup.Escape(n));
            }

            return table;
        }

        var console = Output.Console();
        var refreshes = 0;
        if (console.Profile.Capabilities.Interactive && !global::System.Console.IsOutputRedirected)
        {
            await console.Live(await SnapshotAsync()).StartAsync(async live =>
            {
                while (!ct.IsCancellationRequested && (count == 0 || ++refreshes < count))
                {
                    await Task.Delay(intervalMs, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                    if (!ct.IsCancellationRequested)
                        live.UpdateTarget(await SnapshotAsync());
                }
            });
        }
        else
        {
            // Not a terminal: one plain snapshot per refresh, for logs and pipes.
            while (!ct.IsCancellationRequested && (count == 0 || refreshes++ < count))
            {
                console.Write(await SnapshotAsync());
                if (count == 0 || refreshes < count)
                    await Task.Delay(intervalMs, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        _ = listening;
    }

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (ScmiStatusException)
        {
            // A platform without notifications still has a watch view.
        }
    }
}
