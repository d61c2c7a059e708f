using System.Collections.Concurrent;
using System.Diagnostics;

namespace Vscmi.Soak;

/// <summary>What the soak counted, from every thread.</summary>
internal sealed class Tally
{
    private readonly ConcurrentBag<List<long>> _latencies = [];
    private long _answered;
    private long _wrong;
    private long _interrupted;
    private long _viewChecks;
    private long _viewViolations;

    public long Answered => Interlocked.Read(ref _answered);

    public long Wrong => Interlocked.Read(ref _wrong);

    public long Interrupted => Interlocked.Read(ref _interrupted);

    public long ViewChecks => Interlocked.Read(ref _viewChecks);

    public long ViewViolations => Interlocked.Read(ref _viewViolations);

    /// <summary>The first few wrong answers, described.</summary>
    public ConcurrentQueue<string> FirstWrong { get; } = new();

    /// <summary>Hostile actions done, by kind.</summary>
    public ConcurrentDictionary<string, long> Counts { get; } = new();

    public long FloodSuccess;
    public long FloodBusy;
    public long FloodOther;
    public long ConnLimitServed;
    public long ConnLimitRefused;
    public long ConnLimitOver;
    public long UnsealedAccepted;

    /// <summary>A latency list for one thread (added to the totals).</summary>
    public List<long> NewLatencyList()
    {
        var list = new List<long>(1 << 14);
        _latencies.Add(list);
        return list;
    }

    public void Answer() => Interlocked.Increment(ref _answered);

    public void Interrupt() => Interlocked.Increment(ref _interrupted);

    public void Hostile(string kind) => Counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public void WrongAnswer(string what)
    {
        if (Interlocked.Increment(ref _wrong) <= 5)
            FirstWrong.Enqueue(what);
    }

    /// <summary>Counts one check that an agent sees exactly its view; false records a violation.</summary>
    public void View(bool held, string what)
    {
        Interlocked.Increment(ref _viewChecks);
        if (!held && Interlocked.Increment(ref _viewViolations) <= 5)
            FirstWrong.Enqueue("view: " + what);
    }

    /// <summary>All latencies so far, sorted (Stopwatch ticks).</summary>
    public long[] Latencies()
    {
        var all = _latencies.SelectMany(l => { lock (l) return l.ToArray(); }).ToArray();
        Array.Sort(all);
        return all;
    }

    public string Summary() =>
        $"{Answered:N0} answered, {Wrong} wrong, {Interrupted} cut by the restart; hostile: {string.Join(", ", Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}";
}

/// <summary>
/// The time around the daemon's restart when a request may go unanswered: from the kill until a
/// grace period after the new daemon is ready (the agents reconnect with a back-off).
/// </summary>
internal sealed class RestartWindow
{
    private long _begin = long.MaxValue;
    private long _end = long.MaxValue;

    public void Begin() => Interlocked.Exchange(ref _begin, Stopwatch.GetTimestamp());

    public void Ready(TimeSpan grace) => Interlocked.Exchange(ref _end, Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Whether a failure that started at <paramref name="started"/> (a timestamp) and ended now may be the restart's.</summary>
    public bool Covers(long started)
    {
        var now = Stopwatch.GetTimestamp();
        var begin = Interlocked.Read(ref _begin);
        // A request sent just before the kill ends with it.
        return now >= begin && started <= Interlocked.Read(ref _end);
    }
}

/// <summary>Lets the hostile actors be paused at a quiet point (resource samples) and resumed.</summary>
internal sealed class Hostility
{
    private volatile bool _paused;
    private int _active;

    /// <summary>Waits while paused, then marks an action as running; dispose the result when it ends.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_paused)
                await Task.Delay(50, cancellationToken);
            Interlocked.Increment(ref _active);
            if (!_paused)
                return new Exit(this);
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Stops new actions and waits for those running to end.</summary>
    public async Task PauseAsync()
    {
        _paused = true;
        while (Volatile.Read(ref _active) > 0)
            await Task.Delay(20);
    }

    public void Resume() => _paused = false;

    private sealed class Exit(Hostility owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                Interlocked.Decrement(ref owner._active);
        }
    }
}
