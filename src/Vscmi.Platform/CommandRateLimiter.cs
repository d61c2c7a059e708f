using Vscmi.Platform.Model;

namespace Vscmi.Platform;

/// <summary>
/// Each agent's command rate (<c>commands_per_second</c>, <c>command_burst</c> in the model): a
/// token bucket kept as the generic cell rate algorithm's one number per agent, the time at which
/// its bucket would be full again. A command is admitted when that time is at most a burst's worth
/// of commands ahead of now; an agent over it is answered BUSY by <see cref="ScmiPlatform.Handle"/>,
/// and every other agent is untouched (each has its own bucket). All sessions of an agent share it.
/// Lock-free and allocation-free: one compare-exchange per admitted command of a limited agent.
/// </summary>
internal sealed class CommandRateLimiter
{
    // Agent ids are 1..254 (PROTOCOL_ATTRIBUTES); index 0 is unused.
    private const int Slots = 256;
    private readonly long[] _full = new long[Slots];
    private readonly long _frequency;
    private volatile Limits _limits;

    private sealed record Limits(long[] Interval, long[] Tolerance);

    /// <summary>Starts with the model's limits; <paramref name="frequency"/> is the clock's ticks per second.</summary>
    public CommandRateLimiter(DeviceModel model, long frequency)
    {
        _frequency = frequency;
        _limits = Compute(model);
    }

    /// <summary>Takes the limits of a model now in force (a reload, an agent added); buckets carry on.</summary>
    public void Configure(DeviceModel model) => _limits = Compute(model);

    private Limits Compute(DeviceModel model)
    {
        var limits = new Limits(new long[Slots], new long[Slots]);
        for (var i = 0; i < model.Agents.Count && i + 1 < Slots; i++)
        {
            var agent = model.Agents[i];
            if (agent.CommandsPerSecond == 0)
                continue;
            // Ticks per command, at least one (a rate above the clock's resolution is no limit to speak of).
            var interval = Math.Max(1, (_frequency + (agent.CommandsPerSecond / 2)) / agent.CommandsPerSecond);
            limits.Interval[i + 1] = interval;
            limits.Tolerance[i + 1] = interval * (agent.CommandBurst - 1L);
        }

        return limits;
    }

    /// <summary>
    /// Takes one token from the agent's bucket now; false when it is empty: the command is answered
    /// BUSY and counted as refused. The clock is read only for an agent that has a limit.
    /// </summary>
    public bool TryAdmit(int agentId, TimeProvider time)
    {
        var limits = _limits;
        if ((uint)agentId >= Slots || limits.Interval[agentId] is var interval && interval == 0)
            return true;
        var tolerance = limits.Tolerance[agentId];
        var now = time.GetTimestamp();
        ref var full = ref _full[agentId];
        while (true)
        {
            var seen = Volatile.Read(ref full);
            var from = Math.Max(seen, now);
            if (from - now > tolerance)
            {
                Refusals.Hit(agentId);
                return false;
            }

            if (Interlocked.CompareExchange(ref full, from + interval, seen) == seen)
                return true;
        }
    }

    /// <summary>Commands refused (answered BUSY), per agent.</summary>
    public LimitReports Refusals { get; } = new();
}

/// <summary>
/// How often each agent hit one limit, and when that was last logged: a limit an agent keeps hitting
/// is logged at its first hit, then at most once per interval with the number of hits since
/// (issue 19: every limit hit is counted, and logged once per interval, not per message).
/// </summary>
internal sealed class LimitReports
{
    private const int Slots = 256;
    private readonly long[] _hits = new long[Slots];
    private readonly long[] _reported = new long[Slots];
    private readonly long[] _lastReport = new long[Slots];

    /// <summary>Counts one hit for an agent.</summary>
    public void Hit(int agentId)
    {
        if ((uint)agentId < Slots)
            Interlocked.Increment(ref _hits[agentId]);
    }

    /// <summary>An agent's hits since the platform started.</summary>
    public long Hits(int agentId) => (uint)agentId < Slots ? Volatile.Read(ref _hits[agentId]) : 0;

    /// <summary>
    /// Whether to log now: true at the first hit, then at most once per <paramref name="interval"/>
    /// clock ticks (of all the threads hitting at once, one wins), with the hits since the last line
    /// in <paramref name="since"/>.
    /// </summary>
    public bool ShouldReport(int agentId, long now, long interval, out long since)
    {
        since = 0;
        if ((uint)agentId >= Slots)
            return false;
        ref var last = ref _lastReport[agentId];
        var seen = Volatile.Read(ref last);
        if (seen != 0 && now - seen < interval)
            return false;
        if (Interlocked.CompareExchange(ref last, now == 0 ? 1 : now, seen) != seen)
            return false;
        var total = Hits(agentId);
        since = total - Interlocked.Exchange(ref _reported[agentId], total);
        return true;
    }
}
