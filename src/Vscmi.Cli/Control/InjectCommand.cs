using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Vscmi.Cli.Control;

/// <summary><c>vscmi inject</c>: faults injected into a running daemon's answers, through its control socket.</summary>
internal static class InjectCommand
{
    public static Command Create()
    {
        var control = new Option<string>("--control") { Description = "The daemon's control socket ('vscmi serve --control PATH').", DefaultValueFactory = _ => "/run/vscmi/control.sock", Recursive = true };
        var json = new Option<bool>("--json") { Description = "Print the daemon's answer as JSON.", Recursive = true };

        var status = new Argument<string>("status") { Description = "The status answered: BUSY, HARDWARE_ERROR, DENIED, GENERIC_ERROR, OUT_OF_RANGE, NOT_SUPPORTED, ..." };
        var statusCommand = Fault("status", "Answer matching commands with an error status instead of handling them.", status, (w, value) => w.WriteString("status", value));
        var delay = new Argument<int>("milliseconds") { Description = "How long each matching command waits before it is handled (at most 30 s with the jitter)." };
        var delayCommand = Fault("delay", "Handle matching commands late: the agent's channel waits (other agents do not).", delay, (w, value) => w.WriteNumber("delay_ms", value));
        var dropCommand = Fault<string?>("drop", "Never answer matching commands: the agent must time out (on virtio the buffer is kept until the device resets).", null, null);

        var late = new Argument<int>("milliseconds") { Description = "How long before the reply goes out (beyond the agent's timeout: Linux's is the DT's max-rx-timeout-ms); at most 30 s." };
        var lateCommand = Fault("late", "Answer matching commands late, with their own token, after the agent gave up on them (the channel waits meanwhile).", late, (w, value) => w.WriteNumber("delay_ms", value));
        var wrongTokenCommand = Fault<string?>("wrong-token", "Handle matching commands, but answer under another token (bit 9 of the agent's token flipped).", null, null);
        var bytes = new Argument<int>("bytes") { Description = "How many bytes of the reply are sent (4: the header only, 8: header and status)." };
        var truncateCommand = Fault("truncate", "Handle matching commands, but cut the reply short.", bytes, (w, value) => w.WriteNumber("bytes", value));
        var hold = new Argument<int>("milliseconds") { Description = "How much longer each delayed response waits (at most 30 s)." };
        var holdCommand = Fault("hold-delayed", "Hold the delayed responses of matching asynchronous commands (CLOCK_RATE_SET, SENSOR_READING_GET...) longer than the agent waits.", hold, (w, value) => w.WriteNumber("delay_ms", value));

        var notification = new Argument<string>("notification") { Description = "The notification sent: PERFORMANCE_LEVEL_CHANGED, SENSOR_TRIP_POINT_EVENT, POWER_STATE_CHANGED, ... (subscribed or not)." };
        var rate = new Option<double>("--rate") { Description = "Notifications per second (at most 10,000).", DefaultValueFactory = _ => 100 };
        var floodResource = new Option<string?>("--resource", "-r") { Description = "The resource the notifications name (a name or the model's id; default 0)." };
        var floodAgent = new Option<string?>("--agent", "-a") { Description = "Only this agent's channels. Default: every agent's." };
        var floodCount = new Option<int?>("--count", "-n") { Description = "Stop after this many notifications. Default: until cleared." };
        var flood = new Command("flood", "Flood agents with a notification, subscribed or not, at a steady rate (beyond the backlog they are dropped and counted, as any notification).") { notification, rate, floodResource, floodAgent, floodCount };
        flood.SetAction(parse => Add(parse, w =>
        {
            w.WriteString("kind", "flood");
            w.WriteString("message", parse.GetValue(notification));
            w.WriteNumber("rate", parse.GetValue(rate));
            WriteResource(w, "resource", parse.GetValue(floodResource));
            WriteIf(w, "agent", parse.GetValue(floodAgent));
            if (parse.GetValue(floodCount) is { } n)
                w.WriteNumber("count", n);
        }));

        var withholdAgent = new Option<string?>("--agent", "-a") { Description = "Only this agent. Default: every agent." };
        var withhold = new Command("withhold", "Withhold notifications and delayed responses from agents' channels (an event queue that is never served) until cleared; then they go out in order.") { withholdAgent };
        withhold.SetAction(parse => Add(parse, w =>
        {
            w.WriteString("kind", "withhold");
            WriteIf(w, "agent", parse.GetValue(withholdAgent));
        }));

        var sensorName = new Argument<string>("sensor") { Description = "The sensor (its name in the model, or its id)." };
        var sensorValue = new Argument<long>("value") { Description = "The value it reads, in its own units and exponent (cpu_temp 95000 is 95 °C with exponent -3)." };
        var rampTo = new Option<long?>("--ramp-to") { Description = "Ramp from VALUE to this value instead of holding VALUE." };
        var rampMs = new Option<int>("--ramp-ms") { Description = "How long the ramp takes.", DefaultValueFactory = _ => 10_000 };
        var sensor = new Command("sensor", "Make a sensor read a value (or a ramp) until cleared: trip points crossed send SENSOR_TRIP_POINT_EVENT, continuous updates carry it.") { sensorName, sensorValue, rampTo, rampMs };
        sensor.SetAction(parse => Add(parse, w =>
        {
            w.WriteString("kind", "sensor");
            WriteResource(w, "sensor", parse.GetValue(sensorName));
            w.WriteNumber("value", parse.GetValue(sensorValue));
            if (parse.GetValue(rampTo) is { } to)
            {
                w.WriteNumber("ramp_to", to);
                w.WriteNumber("ramp_ms", parse.GetValue(rampMs));
            }
        }));

        var perfDomain = new Argument<string>("domain") { Description = "The performance domain (name or id)." };
        var perfMin = new Argument<uint>("min") { Description = "The lowest level allowed." };
        var perfMax = new Argument<uint>("max") { Description = "The highest level allowed." };
        var perfLimits = new Command("perf-limits", "The platform changes a performance domain's limits itself: PERFORMANCE_LIMITS_CHANGED, and the level pulled inside them.") { perfDomain, perfMin, perfMax };
        perfLimits.SetAction(parse => Event(parse, "perf-limits", w =>
        {
            WriteResource(w, "domain", parse.GetValue(perfDomain));
            w.WriteNumber("min", parse.GetValue(perfMin));
            w.WriteNumber("max", parse.GetValue(perfMax));
        }));

        var clockName = new Argument<string>("clock") { Description = "The clock (name or id)." };
        var clockRate = new Argument<ulong>("rate") { Description = "The new rate in Hz (rounded to the closest the clock has)." };
        var clockRateCommand = new Command("clock-rate", "The platform moves a clock's rate itself: CLOCK_RATE_CHANGED to its subscribers.") { clockName, clockRate };
        clockRateCommand.SetAction(parse => Event(parse, "clock-rate", w =>
        {
            WriteResource(w, "clock", parse.GetValue(clockName));
            w.WriteNumber("rate", parse.GetValue(clockRate));
        }));

        var powerDomain = new Argument<string>("domain") { Description = "The power domain (name or id)." };
        var powerState = new Argument<string>("state") { Description = "on or off." };
        powerState.AcceptOnlyFromAmong("on", "off");
        var powerStateCommand = new Command("power-state", "The platform turns a power domain on or off although no agent asked: POWER_STATE_CHANGED.") { powerDomain, powerState };
        powerStateCommand.SetAction(parse => Event(parse, "power-state", w =>
        {
            WriteResource(w, "domain", parse.GetValue(powerDomain));
            w.WriteString("state", parse.GetValue(powerState));
        }));

        var resetDomain = new Argument<string>("domain") { Description = "The reset domain (name or id)." };
        var reset = new Command("reset", "The platform resets a domain itself: RESET_ISSUED to its subscribers.") { resetDomain };
        reset.SetAction(parse => Event(parse, "reset", w => WriteResource(w, "domain", parse.GetValue(resetDomain))));

        var systemState = new Argument<string>("state") { Description = "shutdown, cold-reset, warm-reset or suspend.", DefaultValueFactory = _ => "shutdown" };
        systemState.AcceptOnlyFromAmong("shutdown", "cold-reset", "warm-reset", "suspend");
        var forced = new Option<bool>("--forced") { Description = "A forced request (the platform will not wait); default graceful." };
        var timeout = new Option<int>("--timeout-ms") { Description = "The time the agent has to comply (SCMI 3.0's timeout word; 0: none)." };
        var systemAgent = new Option<string?>("--agent", "-a") { Description = "Only this agent. Default: every subscribed agent." };
        var systemPower = new Command("system-power", "SYSTEM_POWER_STATE_NOTIFIER from the platform itself: Linux's scmi_power_control runs an orderly poweroff or reboot for a graceful request.") { systemState, forced, timeout, systemAgent };
        systemPower.SetAction(parse => Event(parse, "system-power", w =>
        {
            w.WriteString("state", parse.GetValue(systemState));
            w.WriteBoolean("forced", parse.GetValue(forced));
            w.WriteNumber("timeout_ms", parse.GetValue(timeout));
            WriteIf(w, "agent", parse.GetValue(systemAgent));
        }));

        var about = new Option<string?>("--about") { Description = "The agent whose messages failed (default 0: the platform)." };
        var fatal = new Option<bool>("--fatal") { Description = "A fatal error." };
        var reports = new Option<ulong[]>("--report") { Description = "A 64-bit report (repeat for more; at most 8).", AllowMultipleArgumentsPerToken = true };
        var errorAgent = new Option<string?>("--agent", "-a") { Description = "Only this agent's channels. Default: every agent subscribed to errors." };
        var error = new Command("error", "BASE_ERROR_EVENT from the platform to the agents subscribed to errors.") { about, fatal, reports, errorAgent };
        error.SetAction(parse => Event(parse, "error", w =>
        {
            WriteIf(w, "about", parse.GetValue(about));
            w.WriteBoolean("fatal", parse.GetValue(fatal));
            w.WriteStartArray("reports");
            foreach (var r in parse.GetValue(reports) ?? [])
                w.WriteNumberValue(r);
            w.WriteEndArray();
            WriteIf(w, "agent", parse.GetValue(errorAgent));
        }));

        Command Permission(string name, string description)
        {
            var agent = new Option<string>("--agent", "-a") { Description = "The agent (name or number).", Required = true };
            var device = new Argument<string>("device") { Description = "The device (its name in the model, or its id)." };
            var protocol = new Option<string?>("--protocol", "-p") { Description = "Only this protocol on the device (CLOCK, or 0x14). Default: the whole device." };
            var command = new Command(name, description) { device, agent, protocol };
            command.SetAction(parse => Event(parse, name, w =>
            {
                w.WriteString("agent", parse.GetValue(agent));
                WriteResource(w, "device", parse.GetValue(device));
                WriteIf(w, "protocol", parse.GetValue(protocol));
            }));
            return command;
        }

        var revoke = Permission("revoke", "The platform itself denies an agent a device (or one protocol on it), as BASE_SET_DEVICE_PERMISSIONS would: its commands naming those resources answer DENIED.");
        var allow = Permission("allow", "The platform gives a revoked device (or protocol) back to an agent.");

        var list = new Command("list", "List the injected faults: what each does, how often it applied, how many times remain.");
        list.SetAction(parse => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "inject list"), PrintList));
        var id = new Argument<int?>("id") { Description = "The fault to remove (see list); without it, every fault.", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Command("clear", "Remove one injected fault, or all of them (a sensor reads its own source again, withheld messages go out).") { id };
        clear.SetAction(parse => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w =>
        {
            w.WriteString("command", "inject clear");
            if (parse.GetValue(id) is { } which)
                w.WriteNumber("id", which);
        }, answer => Console.WriteLine($"cleared {answer.GetProperty("cleared").GetInt32()} fault(s)")));

        return new Command("inject", "Make a running daemon misbehave on purpose, deterministically (docs/scenarios.md). Faults on commands (status, delay, drop, late, wrong-token, truncate, hold-delayed) select by agent, protocol, message and resource, with a count and a seeded probability; flood, withhold and sensor act on the platform's own messages and values; perf-limits, clock-rate, power-state, reset, system-power, error, revoke and allow are events the platform makes now.")
        {
            control, json, statusCommand, delayCommand, dropCommand, lateCommand, wrongTokenCommand, truncateCommand, holdCommand,
            flood, withhold, sensor, perfLimits, clockRateCommand, powerStateCommand, reset, systemPower, error, revoke, allow, list, clear,
        };

        int Add(ParseResult parse, Action<Utf8JsonWriter> write) => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w =>
        {
            w.WriteString("command", "inject add");
            write(w);
        }, answer => Console.WriteLine($"fault {answer.GetProperty("id").GetInt32()}: {answer.GetProperty("fault").GetString()}"));

        int Event(ParseResult parse, string name, Action<Utf8JsonWriter> write) => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w =>
        {
            w.WriteString("command", "inject event");
            w.WriteString("event", name);
            write(w);
        }, answer => Console.WriteLine($"{answer.GetProperty("done").GetString()}; {answer.GetProperty("notified").GetInt32()} channel(s) notified"));

        Command Fault<T>(string kind, string description, Argument<T>? value, Action<Utf8JsonWriter, T>? write)
        {
            var agent = new Option<string?>("--agent", "-a") { Description = "Only this agent (name or number). Default: every agent." };
            var protocol = new Option<string?>("--protocol", "-p") { Description = "Only this protocol (CLOCK, or 0x14)." };
            var message = new Option<string?>("--message", "-m") { Description = "Only this message (CLOCK_RATE_SET; or an id with --protocol)." };
            var count = new Option<int?>("--count", "-n") { Description = "Apply to this many matching commands, then stop. Default: every one until cleared." };
            var probability = new Option<double>("--probability") { Description = "Apply to each matching command with this chance (0 < p <= 1), from a generator seeded by --seed.", DefaultValueFactory = _ => 1.0 };
            var seed = new Option<int>("--seed") { Description = "The seed of the random choices (probability, jitter): the same seed, the same sequence." };
            var jitter = new Option<int>("--jitter-ms") { Description = "For delay: up to this many more milliseconds, uniformly (seeded)." };
            var resource = new Option<uint?>("--resource", "-r") { Description = "Only commands naming this resource id (the agent's own id, as the command carries it)." };
            var command = new Command(kind, description) { agent, protocol, message, resource, count, probability, seed };
            if (value is not null)
                command.Arguments.Add(value);
            if (kind == "delay")
                command.Options.Add(jitter);
            command.SetAction(parse => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w =>
            {
                w.WriteString("command", "inject add");
                w.WriteString("kind", kind);
                if (parse.GetValue(agent) is { } a)
                    w.WriteString("agent", a);
                if (parse.GetValue(protocol) is { } p)
                    w.WriteString("protocol", p);
                if (parse.GetValue(message) is { } m)
                    w.WriteString("message", m);
                if (parse.GetValue(count) is { } n)
                    w.WriteNumber("count", n);
                if (parse.GetValue(resource) is { } r)
                    w.WriteNumber("resource", r);
                w.WriteNumber("probability", parse.GetValue(probability));
                w.WriteNumber("seed", parse.GetValue(seed));
                if (kind == "delay")
                    w.WriteNumber("jitter_ms", parse.GetValue(jitter));
                if (value is not null && write is not null)
                    write(w, parse.GetValue(value)!);
            }, answer => Console.WriteLine($"fault {answer.GetProperty("id").GetInt32()}: {answer.GetProperty("fault").GetString()}")));
            return command;
        }
    }

    private static void WriteIf(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
            w.WriteString(name, value);
    }

    // A resource by name, or by id when the text is a number (the daemon takes either).
    private static void WriteResource(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            return;
        if (uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            w.WriteNumber(name, id);
        else
            w.WriteString(name, value);
    }

    private static void PrintList(JsonElement answer)
    {
        var faults = answer.GetProperty("faults");
        if (faults.GetArrayLength() == 0)
        {
            Console.WriteLine("no fault injected");
            return;
        }

        foreach (var fault in faults.EnumerateArray())
        {
            var remaining = fault.GetProperty("remaining").ValueKind == JsonValueKind.Null ? "" : $", {fault.GetProperty("remaining").GetInt32()} remaining";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{fault.GetProperty("id").GetInt32()}: {fault.GetProperty("fault").GetString()} (applied {fault.GetProperty("applied").GetInt64()}{remaining})"));
        }
    }
}
