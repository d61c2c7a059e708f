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

        var list = new Command("list", "List the injected faults: what each does, how often it applied, how many times remain.");
        list.SetAction(parse => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "inject list"), PrintList));
        var id = new Argument<int?>("id") { Description = "The fault to remove (see list); without it, every fault.", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Command("clear", "Remove one injected fault, or all of them.") { id };
        clear.SetAction(parse => CtlCommand.Run(parse.GetValue(control)!, parse.GetValue(json), w =>
        {
            w.WriteString("command", "inject clear");
            if (parse.GetValue(id) is { } which)
                w.WriteNumber("id", which);
        }, answer => Console.WriteLine($"cleared {answer.GetProperty("cleared").GetInt32()} fault(s)")));

        return new Command("inject", "Make a running daemon misbehave on purpose, deterministically (docs/scenarios.md): answer an error status, answer late, or never answer, for the commands an agent, protocol and message select; a count and a seeded probability say how often.")
        {
            control, json, statusCommand, delayCommand, dropCommand, list, clear,
        };

        Command Fault<T>(string kind, string description, Argument<T>? value, Action<Utf8JsonWriter, T>? write)
        {
            var agent = new Option<string?>("--agent", "-a") { Description = "Only this agent (name or number). Default: every agent." };
            var protocol = new Option<string?>("--protocol", "-p") { Description = "Only this protocol (CLOCK, or 0x14)." };
            var message = new Option<string?>("--message", "-m") { Description = "Only this message (CLOCK_RATE_SET; or an id with --protocol)." };
            var count = new Option<int?>("--count", "-n") { Description = "Apply to this many matching commands, then stop. Default: every one until cleared." };
            var probability = new Option<double>("--probability") { Description = "Apply to each matching command with this chance (0 < p <= 1), from a generator seeded by --seed.", DefaultValueFactory = _ => 1.0 };
            var seed = new Option<int>("--seed") { Description = "The seed of the random choices (probability, jitter): the same seed, the same sequence." };
            var jitter = new Option<int>("--jitter-ms") { Description = "For delay: up to this many more milliseconds, uniformly (seeded)." };
            var command = new Command(kind, description) { agent, protocol, message, count, probability, seed };
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
