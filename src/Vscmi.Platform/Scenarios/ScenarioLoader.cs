using System.Text.RegularExpressions;
using Vscmi.Platform.Injection;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Scenarios;

/// <summary>
/// Reads scenario files (docs/scenarios.md). Every refusal names the file, line and column, the key
/// and what it should have been; nothing about the daemon is needed (agent and resource names are
/// checked by the daemon when the steps run).
/// </summary>
public static class ScenarioLoader
{
    /// <summary>The longest scenario: a bench run, not a soak.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    private static readonly string[] InjectKeys =
        ["agent", "protocol", "message", "resource", "count", "probability", "seed", "status", "delay_ms", "jitter_ms", "bytes", "rate", "value", "ramp_to", "ramp_ms", "sensor"];

    private static readonly string[] EventKeys =
        ["agent", "domain", "min", "max", "clock", "rate", "state", "forced", "timeout_ms", "about", "fatal", "reports", "device", "protocol"];

    private static readonly Dictionary<string, ExpectationKind> ExpectationKinds = new(StringComparer.Ordinal)
    {
        ["sends"] = ExpectationKind.Sends, ["never_sends"] = ExpectationKind.NeverSends, ["answered"] = ExpectationKind.Answered,
        ["notified"] = ExpectationKind.Notified, ["retries"] = ExpectationKind.Retries, ["no_token_reuse_in_flight"] = ExpectationKind.NoTokenReuseInFlight,
        ["session_closes"] = ExpectationKind.SessionCloses, ["stays_connected"] = ExpectationKind.StaysConnected,
    };

    /// <summary>Reads a scenario file.</summary>
    /// <exception cref="ModelException">It cannot be read or is not a valid scenario (the message says where and why).</exception>
    public static Scenario LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelException($"{path}: cannot read the scenario: {e.Message}", e);
        }

        return Load(text, path);
    }

    /// <summary>Reads a scenario from its text; <paramref name="file"/> names it in messages (and gives its default name).</summary>
    /// <exception cref="ModelException">It is not a valid scenario.</exception>
    public static Scenario Load(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var root = TomlDocument.Parse(text ?? "", file);
        var name = root.String("name") ?? Path.GetFileNameWithoutExtension(file);
        var description = root.String("description") ?? "";
        var agent = root.String("agent");
        var duration = Duration(root, "duration") ?? throw root.Missing("duration");
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
            throw root.LocationOf("duration").Error($"duration {ScenarioDuration.Format(duration)}: more than 0 and at most {MaxDuration.TotalMinutes:0} minutes");
        var seedValue = root.Integer("seed") ?? 0;
        if (seedValue is < int.MinValue or > int.MaxValue)
            throw root.LocationOf("seed").Error($"seed {seedValue}: a 32-bit integer");
        var seed = (int)seedValue;
        var guest = root.Table("guest") is { } g ? Guest(g) : null;

        List<ScenarioStep> steps = [];
        foreach (var table in root.Tables("step"))
            steps.Add(Step(table, duration, agent, seed));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (step.Name is { } stepName && !names.Add(stepName))
                throw new ModelException($"{step.Line}: a second step named '{stepName}' (step names are what expectations count from)");
        }

        List<Expectation> expectations = [];
        foreach (var table in root.Tables("expect"))
            expectations.Add(Expect(table, agent, names));
        if (steps.Count == 0 && expectations.Count == 0)
            throw root.Location.Error("the scenario has no [[step]] and no [[expect]]: nothing to do");
        var untilClosed = root.Boolean("until_closed") ?? false;
        if (untilClosed && agent is null)
            throw root.LocationOf("until_closed").Error("until_closed: give the scenario's agent (whose channels closing ends the run)");
        root.RejectUnknownKeys(["name", "description", "agent", "duration", "seed", "until_closed", "guest", "step", "expect"]);
        return new Scenario(name, description, agent, duration, seed, guest, [.. steps.OrderBy(s => s.At)], expectations) { UntilClosed = untilClosed };
    }

    private static GuestWork Guest(TomlTableNode table)
    {
        var run = table.RequiredString("run");
        var expect = Strings(table, "expect_output");
        var forbid = table.Peek("forbid_log") is null ? GuestWork.DefaultForbidden : Strings(table, "forbid_log");
        foreach (var pattern in expect.Concat(forbid))
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw table.Location.Error($"pattern \"{pattern}\" in {table.Describe()}: not a regular expression ({e.Message})");
            }
        }

        var knownDefect = table.String("known_defect");
        table.RejectUnknownKeys(["run", "expect_output", "forbid_log", "known_defect"]);
        return new GuestWork(run, expect, forbid) { KnownDefect = knownDefect };
    }

    private static ScenarioStep Step(TomlTableNode table, TimeSpan duration, string? agent, int seed)
    {
        var line = table.Location.ToString();
        var at = Duration(table, "at") ?? throw table.Missing("at");
        if (at > duration)
            throw table.LocationOf("at").Error($"at {ScenarioDuration.Format(at)}: after the scenario's end ({ScenarioDuration.Format(duration)})");
        var name = table.String("name");
        var inject = table.String("inject");
        var eventName = table.String("event");
        var clear = table.Boolean("clear") ?? false;
        if ((inject is not null ? 1 : 0) + (eventName is not null ? 1 : 0) + (clear ? 1 : 0) != 1)
            throw table.Location.Error($"{table.Describe()} at {ScenarioDuration.Format(at)}: give exactly one of inject = KIND, event = NAME or clear = true");
        if (inject is not null && !FaultNames.Kinds.ContainsKey(inject))
            throw table.LocationOf("inject").Error($"inject \"{inject}\": one of {string.Join(", ", FaultNames.Kinds.Keys)}");
        if (eventName is not null && !FaultNames.Events.Contains(eventName))
            throw table.LocationOf("event").Error($"event \"{eventName}\": one of {string.Join(", ", FaultNames.Events)}");

        var allowed = inject is not null ? InjectKeys : eventName is not null ? EventKeys : [];
        List<KeyValuePair<string, object>> parameters = [];
        foreach (var key in allowed)
        {
            if (table.TryGetRaw(key, out var node))
                parameters.Add(new(key, Value(node, key, table)));
        }

        // The scenario's agent and seed, where the step gives none.
        if (agent is not null && !parameters.Any(p => p.Key == "agent") && (inject is not null || eventName is "system-power" or "revoke" or "allow"))
            parameters.Add(new("agent", agent));
        if (inject is not null && !parameters.Any(p => p.Key == "seed"))
            parameters.Add(new("seed", (long)seed));
        table.RejectUnknownKeys(["at", "name", "inject", "event", "clear", .. allowed]);
        var action = inject is not null ? StepAction.Inject : eventName is not null ? StepAction.Event : StepAction.Clear;
        return new ScenarioStep(at, name, action, inject ?? eventName ?? "clear", parameters, line);
    }

    private static object Value(TomlNode node, string key, TomlTableNode table) => node switch
    {
        TomlScalar { Value: string or long or double or bool } scalar => scalar.Value,
        TomlList { OfTables: false } list when list.Items.All(i => i is TomlScalar { Value: long }) => list.Items.Select(i => (long)((TomlScalar)i).Value).ToArray(),
        _ => throw node.Location.Error($"'{key}' in {table.Describe()} is {node.Kind}: a string, a number, a boolean or an array of integers"),
    };

    private static Expectation Expect(TomlTableNode table, string? agent, HashSet<string> steps)
    {
        var line = table.Location.ToString();
        var kindText = table.String("kind") ?? throw table.Missing("kind");
        if (!ExpectationKinds.TryGetValue(kindText, out var kind))
            throw table.LocationOf("kind").Error($"kind \"{kindText}\": one of {string.Join(", ", ExpectationKinds.Keys)}");
        var who = table.String("agent") ?? agent;

        byte? protocol = null, message = null;
        if (table.String("protocol") is { } protocolText)
        {
            protocol = ScmiCatalog.Find(protocolText) is { } found ? (byte)found.Id
                : throw table.LocationOf("protocol").Error($"protocol \"{protocolText}\": not an SCMI protocol (CLOCK, or 0x14)");
        }

        var messageKey = kind == ExpectationKind.Notified ? "notification" : "message";
        if (table.String(messageKey) is { } messageText)
        {
            var candidates = ScmiCatalog.FindByName(messageText, notification: kind == ExpectationKind.Notified, protocol);
            if (candidates.Count != 1)
            {
                throw table.LocationOf(messageKey).Error(candidates.Count > 1
                    ? $"{messageKey} \"{messageText}\": every protocol has one; give protocol too"
                    : $"{messageKey} \"{messageText}\": not an SCMI {(kind == ExpectationKind.Notified ? "notification (PERFORMANCE_LEVEL_CHANGED...)" : "command (CLOCK_RATE_SET...)")}");
            }

            (protocol, message) = candidates[0];
        }
        else if (kind is ExpectationKind.Sends or ExpectationKind.NeverSends or ExpectationKind.Retries)
            throw table.Missing("message");
        else if (kind is ExpectationKind.Notified)
            throw table.Missing("notification");

        ScmiStatus? status = null;
        if (table.String("status") is { } statusText)
        {
            status = Enum.TryParse<ScmiStatus>(statusText, ignoreCase: false, out var parsed) && Enum.IsDefined(parsed) ? parsed
                : throw table.LocationOf("status").Error($"status \"{statusText}\": one of {string.Join(", ", Enum.GetNames<ScmiStatus>())}");
        }

        if (kind == ExpectationKind.Retries)
            status ??= ScmiStatus.BUSY;
        uint? resource = table.Integer("resource") is { } r
            ? r is >= 0 and <= uint.MaxValue ? (uint)r : throw table.LocationOf("resource").Error($"resource {r}: a resource id, 0 or more")
            : null;
        var atMost = kind == ExpectationKind.NeverSends ? 0 : table.Integer("at_most");
        var atLeast = table.Integer("at_least") ?? (atMost != 0 && kind is ExpectationKind.Sends or ExpectationKind.Answered or ExpectationKind.Notified ? 1 : 0);
        if (atLeast < 0 || atMost < 0 || atLeast > atMost)
            throw table.Location.Error($"at_least {atLeast}, at_most {atMost}: 0 or more, at_least not above at_most");
        var after = table.String("after");
        if (after is not null && !steps.Contains(after))
            throw table.LocationOf("after").Error($"after \"{after}\": no step has that name ({(steps.Count == 0 ? "no step is named" : string.Join(", ", steps))})");
        var from = Duration(table, "from") ?? TimeSpan.Zero;
        var to = Duration(table, "to");
        var within = Duration(table, "within");
        if (kind is ExpectationKind.Retries or ExpectationKind.SessionCloses && within is null)
            throw table.Missing("within");
        if (to is { } end && end < from)
            throw table.LocationOf("to").Error($"to {ScenarioDuration.Format(end)}: before from ({ScenarioDuration.Format(from)})");
        var knownDefect = table.String("known_defect");
        var name = table.String("name") ?? $"{kindText.Replace('_', ' ')} {table.String(messageKey) ?? ""}".Trim();
        table.RejectUnknownKeys(["kind", "name", "agent", "protocol", messageKey, "status", "resource", "at_least", "at_most", "after", "from", "to", "within", "known_defect"]);
        return new Expectation(name, kind, who, protocol, message, status, resource, atLeast, atMost, after, from, to, within, knownDefect, line);
    }

    private static TimeSpan? Duration(TomlTableNode table, string key)
    {
        if (table.String(key) is not { } text)
            return null;
        return ScenarioDuration.TryParse(text, out var value) ? value
            : throw table.LocationOf(key).Error($"{key} \"{text}\": a duration such as 500ms, 2s, 1.5s or 1m");
    }

    private static IReadOnlyList<string> Strings(TomlTableNode table, string key)
    {
        if (table.List(key) is not { } list)
            return [];
        return [.. list.Select(item => item is TomlScalar { Value: string s } ? s : throw item.Location.Error($"'{key}' in {table.Describe()} holds {item.Kind}: strings only"))];
    }
}
