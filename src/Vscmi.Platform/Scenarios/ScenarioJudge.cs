using System.Buffers.Binary;
using System.Globalization;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Scenarios;

/// <summary>One message the daemon's trace saw during a scenario, timed from the scenario's start (the platform's clock).</summary>
/// <param name="At">When, from the start.</param>
/// <param name="Agent">The agent's name.</param>
/// <param name="FromAgent">True for a command the agent sent; false for what the platform sent it.</param>
/// <param name="Bytes">The message, header first.</param>
public readonly record struct ObservedMessage(TimeSpan At, string Agent, bool FromAgent, byte[] Bytes);

/// <summary>How many channels an agent had open at a moment of the scenario.</summary>
/// <param name="At">When, from the start.</param>
/// <param name="Agent">The agent's name.</param>
/// <param name="Open">Its open channels (sessions).</param>
/// <param name="Closed">
/// How many of its channels had closed since the daemon started (status <c>sessions_closed</c>),
/// or -1 when the daemon does not say: a close and a reconnect between two polls shows here only.
/// </param>
public readonly record struct ObservedSessions(TimeSpan At, string Agent, int Open, long Closed = -1);

/// <summary>How an expectation came out.</summary>
public enum VerdictOutcome
{
    /// <summary>It held.</summary>
    Pass,
    /// <summary>It did not hold.</summary>
    Fail,
    /// <summary>It did not hold, as its recorded agent defect says it would not: expected.</summary>
    KnownDefect,
    /// <summary>It held although a defect was recorded: the agent changed, and the scenario should be updated.</summary>
    DefectGone,
}

/// <summary>An expectation's outcome, with what was seen.</summary>
/// <param name="Expectation">The expectation.</param>
/// <param name="Outcome">How it came out.</param>
/// <param name="Detail">What was seen, for people.</param>
public sealed record Verdict(Expectation Expectation, VerdictOutcome Outcome, string Detail)
{
    /// <summary>Whether the run is fine as far as this expectation goes (a pass, or a known defect seen again).</summary>
    public bool Ok => Outcome is VerdictOutcome.Pass or VerdictOutcome.KnownDefect;
}

/// <summary>
/// Judges a scenario's expectations from what the trace and the session counts showed. Pure and
/// deterministic: the same observations give the same verdicts (the tests feed it by hand).
/// </summary>
public static class ScenarioJudge
{
    /// <summary>Judges every expectation of <paramref name="scenario"/>.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="messages">The traced messages, in time order.</param>
    /// <param name="sessions">The session counts polled, in time order.</param>
    /// <param name="steps">When each named step ran, from the start.</param>
    /// <param name="end">When the run ended, from the start.</param>
    /// <param name="dropped">Trace records the daemon dropped for this run (then nothing can be judged).</param>
    public static IReadOnlyList<Verdict> Judge(Scenario scenario, IReadOnlyList<ObservedMessage> messages, IReadOnlyList<ObservedSessions> sessions,
        IReadOnlyDictionary<string, TimeSpan> steps, TimeSpan end, long dropped)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(steps);
        return [.. scenario.Expectations.Select(e =>
        {
            var (held, detail) = dropped > 0
                ? (false, $"the daemon's trace dropped {dropped} record(s) (the runner fell behind): nothing can be judged")
                : Evaluate(e, messages, sessions, steps, end);
            var outcome = e.KnownDefect is null ? held ? VerdictOutcome.Pass : VerdictOutcome.Fail
                : held ? VerdictOutcome.DefectGone : VerdictOutcome.KnownDefect;
            return new Verdict(e, outcome, detail);
        })];
    }

    private static (bool Held, string Detail) Evaluate(Expectation e, IReadOnlyList<ObservedMessage> messages, IReadOnlyList<ObservedSessions> sessions,
        IReadOnlyDictionary<string, TimeSpan> steps, TimeSpan end)
    {
        var origin = e.After is { } step ? steps.GetValueOrDefault(step, TimeSpan.MaxValue) : TimeSpan.Zero;
        if (origin == TimeSpan.MaxValue)
            return (false, $"step '{e.After}' never ran");
        var start = origin + e.From;
        var stop = e.To is { } to ? origin + to
            : e.Within is { } within && e.Kind is not (ExpectationKind.Retries or ExpectationKind.SessionCloses) ? start + within
            : end;
        var window = $"{ScenarioDuration.Format(start)}..{ScenarioDuration.Format(stop)}";
        var mine = messages.Where(m => (e.Agent is null || m.Agent == e.Agent) && m.At >= start && m.At <= stop).ToList();
        switch (e.Kind)
        {
            case ExpectationKind.Sends or ExpectationKind.NeverSends:
            {
                var sent = mine.Where(m => m.FromAgent && IsCommand(m, e)).ToList();
                return (InRange(sent.Count, e), $"{sent.Count} sent in {window}{Range(e)}{Times(sent)}");
            }

            case ExpectationKind.Answered:
            {
                var answered = mine.Where(m => !m.FromAgent && Type(m) == ScmiMessageType.COMMAND && Matches(m, e) && (e.Status is null || StatusOf(m) == e.Status)).ToList();
                return (InRange(answered.Count, e), $"{answered.Count} answered{(e.Status is { } s ? $" {s}" : "")} in {window}{Range(e)}{Times(answered)}");
            }

            case ExpectationKind.Notified:
            {
                var notified = mine.Where(m => !m.FromAgent && Type(m) == ScmiMessageType.NOTIFICATION && Matches(m, e)).ToList();
                return (InRange(notified.Count, e), $"{notified.Count} sent to the agent in {window}{Range(e)}");
            }

            case ExpectationKind.Retries:
            {
                var failures = mine.Where(m => !m.FromAgent && Type(m) == ScmiMessageType.COMMAND && Matches(m, e) && StatusOf(m) == e.Status).ToList();
                if (failures.Count == 0)
                    return (false, $"no {e.Status} answer in {window}: did the injection fire, and did the agent send the command?");
                // A retry is the same command again (same parameters), not the agent's next request.
                var deadline = e.Within!.Value;
                var retried = failures.Count(f => CommandOf(messages, f) is { } failed
                    && messages.Any(m => m.Agent == f.Agent && m.FromAgent && m.At > f.At && m.At <= f.At + deadline && IsCommand(m, e) && m.Bytes.AsSpan(4).SequenceEqual(failed.Bytes.AsSpan(4))));
                return (retried == failures.Count, $"{retried} of {failures.Count} {e.Status} answer(s) followed by the same command (same parameters) within {ScenarioDuration.Format(deadline)}");
            }

            case ExpectationKind.NoTokenReuseInFlight:
                return TokenReuse(e, messages, sessions, start, stop);

            case ExpectationKind.SessionCloses:
            {
                // Every channel open at the window's start has closed: a poll with none open, or
                // (a reconnect between polls) as many closes counted since as were open then.
                var deadline = start + e.Within!.Value;
                var before = sessions.LastOrDefault(s => s.Agent == e.Agent && s.At <= start);
                var closed = sessions.FirstOrDefault(s => s.Agent == e.Agent && s.At >= start
                    && (s.Open == 0 || (before.Agent is not null && before.Closed >= 0 && s.Closed - before.Closed >= Math.Max(1, before.Open))));
                if (closed.Agent is null)
                    return (false, $"{e.Agent}'s channels still open at {ScenarioDuration.Format(sessions.Count == 0 ? end : sessions[^1].At)} (deadline {ScenarioDuration.Format(deadline)})");
                return (closed.At <= deadline, $"{e.Agent}'s channels all closed at {ScenarioDuration.Format(closed.At)} (deadline {ScenarioDuration.Format(deadline)})");
            }

            default:
            {
                var seen = sessions.Where(s => s.Agent == e.Agent && s.At >= start && s.At <= stop).ToList();
                if (seen.Count == 0)
                    return (false, $"no session count of {e.Agent} polled in {window}");
                var gone = seen.FirstOrDefault(s => s.Open == 0);
                if (gone.Agent is not null)
                    return (false, $"{e.Agent} had no channel open at {ScenarioDuration.Format(gone.At)}");
                // A channel closed and another opened between two polls: connected at each poll, but
                // the device was reset or the agent reconnected all the same.
                for (var i = 1; i < seen.Count; i++)
                {
                    if (seen[i - 1].Closed >= 0 && seen[i].Closed > seen[i - 1].Closed)
                        return (false, $"{e.Agent} closed {seen[i].Closed - seen[i - 1].Closed} channel(s) between the polls at {ScenarioDuration.Format(seen[i - 1].At)} and {ScenarioDuration.Format(seen[i].At)} (open again at the second)");
                }

                return (true, $"{e.Agent} connected at each of {seen.Count} polls in {window}, no channel closed");
            }
        }
    }

    /// <summary>Commands sent under a token whose earlier command had no reply yet; an agent's channels closing forgets its tokens.</summary>
    private static (bool, string) TokenReuse(Expectation e, IReadOnlyList<ObservedMessage> messages, IReadOnlyList<ObservedSessions> sessions, TimeSpan start, TimeSpan stop)
    {
        var pending = new Dictionary<(string Agent, uint Token), ObservedMessage>();
        var reuses = new List<string>();
        var commands = 0;
        var closes = sessions.Where(s => s.Open == 0).ToList();
        var nextClose = 0;
        foreach (var m in messages)
        {
            if (m.At > stop)
                break;
            while (nextClose < closes.Count && closes[nextClose].At <= m.At)
            {
                var agent = closes[nextClose++].Agent;
                foreach (var key in pending.Keys.Where(k => k.Agent == agent).ToList())
                    pending.Remove(key);
            }

            if ((e.Agent is not null && m.Agent != e.Agent) || m.Bytes.Length < 4 || Type(m) != ScmiMessageType.COMMAND)
                continue;
            var token = (uint)Header(m).Token;
            if (!m.FromAgent)
            {
                pending.Remove((m.Agent, token));
                continue;
            }

            commands++;
            if (m.At >= start && pending.TryGetValue((m.Agent, token), out var earlier))
                reuses.Add($"token {token} at {ScenarioDuration.Format(m.At)} ({Name(m)}) while its {Name(earlier)} of {ScenarioDuration.Format(earlier.At)} was unanswered");
            pending[(m.Agent, token)] = m;
        }

        return reuses.Count == 0
            ? (true, $"{commands} command(s), no token reused while in flight")
            : (false, $"{reuses.Count} reuse(s): {string.Join("; ", reuses.Take(3))}");
    }

    /// <summary>The command a reply answered: the agent's last command before it under the same token.</summary>
    private static ObservedMessage? CommandOf(IReadOnlyList<ObservedMessage> messages, ObservedMessage reply)
    {
        var token = Header(reply).Token;
        ObservedMessage? found = null;
        foreach (var m in messages)
        {
            if (m.At > reply.At)
                break;
            if (m.FromAgent && m.Agent == reply.Agent && m.Bytes.Length >= 4 && Header(m).Token == token)
                found = m;
        }

        return found;
    }

    private static bool InRange(int count, Expectation e) => count >= e.AtLeast && (e.AtMost is not { } most || count <= most);

    private static string Range(Expectation e) =>
        e.AtMost is { } most ? most == e.AtLeast ? $" (expected {most})" : $" (expected {e.AtLeast}..{most})" : $" (expected at least {e.AtLeast})";

    private static string Times(List<ObservedMessage> seen) =>
        seen.Count is > 0 and <= 6 ? $" at {string.Join(", ", seen.Select(m => ScenarioDuration.Format(m.At)))}" : "";

    private static ScmiHeader Header(ObservedMessage m) => ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(m.Bytes));

    private static ScmiMessageType? Type(ObservedMessage m) => m.Bytes.Length >= 4 ? Header(m).Type : null;

    private static ScmiStatus? StatusOf(ObservedMessage m) => m.Bytes.Length >= 8 ? (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(m.Bytes.AsSpan(4)) : null;

    private static bool Matches(ObservedMessage m, Expectation e)
    {
        var header = Header(m);
        return (e.Protocol is null || header.ProtocolId == e.Protocol) && (e.Message is null || header.MessageId == e.Message);
    }

    private static bool IsCommand(ObservedMessage m, Expectation e)
    {
        if (Type(m) != ScmiMessageType.COMMAND || !Matches(m, e))
            return false;
        if (e.Resource is not { } resource)
            return true;
        var header = Header(m);
        var offset = ScmiCatalog.FindMessage(header.ProtocolId, header.MessageId)?.Request.ResourceIdOffset ?? -1;
        return offset >= 0 && m.Bytes.Length >= 4 + offset + 4 && BinaryPrimitives.ReadUInt32LittleEndian(m.Bytes.AsSpan(4 + offset)) == resource;
    }

    private static string Name(ObservedMessage m)
    {
        var header = Header(m);
        return ScmiCatalog.FindMessage(header.ProtocolId, header.MessageId)?.Name ?? string.Create(CultureInfo.InvariantCulture, $"0x{header.ProtocolId:X2}/0x{header.MessageId:X2}");
    }
}
