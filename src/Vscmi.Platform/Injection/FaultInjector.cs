using System.Globalization;

namespace Vscmi.Platform.Injection;

/// <summary>What an injected fault does to a command it matches.</summary>
public enum FaultKind
{
    /// <summary>Answer with <see cref="FaultSpec.Status"/> instead of handling the command.</summary>
    Status,
    /// <summary>Handle the command, but only after <see cref="FaultSpec.Delay"/> (plus up to <see cref="FaultSpec.Jitter"/>).</summary>
    Delay,
    /// <summary>Never answer: the agent must time out (a virtio buffer is kept until the device resets).</summary>
    Drop,
}

/// <summary>
/// One fault to inject (docs/scenarios.md): which commands it matches (null: any agent, protocol
/// or message), what it does, and how often: the first <see cref="Count"/> matches (null: every
/// one), each with probability <see cref="Probability"/> drawn from a generator seeded with
/// <see cref="Seed"/>, so a run can be repeated exactly.
/// </summary>
/// <param name="Kind">What it does.</param>
/// <param name="Agent">The agent's name, or null for every agent.</param>
/// <param name="Protocol">The protocol id, or null.</param>
/// <param name="Message">The message id, or null.</param>
public sealed record FaultSpec(FaultKind Kind, string? Agent = null, byte? Protocol = null, byte? Message = null)
{
    /// <summary>The most a delay may be: a fault slows an agent's channel, it must not hold a daemon thread for long.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>For <see cref="FaultKind.Status"/>: the status answered.</summary>
    public ScmiStatus Status { get; init; } = ScmiStatus.BUSY;

    /// <summary>For <see cref="FaultKind.Delay"/>: how long before the command is handled.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>For <see cref="FaultKind.Delay"/>: up to this much more, uniformly (seeded).</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>How many matching commands it applies to; null: all of them.</summary>
    public int? Count { get; init; }

    /// <summary>The chance it applies to a matching command, 0..1.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>The seed of its random choices (probability, jitter).</summary>
    public int Seed { get; init; }

    /// <summary>Why the spec cannot be injected, naming the value; null when it can.</summary>
    public string? Problem()
    {
        if (Count is < 1)
            return $"count {Count}: at least 1 (or none for every matching command)";
        if (double.IsNaN(Probability) || Probability is <= 0 or > 1)
            return $"probability {Probability.ToString(CultureInfo.InvariantCulture)}: within (0, 1]";
        if (Kind == FaultKind.Delay && (Delay < TimeSpan.Zero || Jitter < TimeSpan.Zero || Delay + Jitter > MaxDelay))
            return $"delay {Delay.TotalMilliseconds} ms + jitter {Jitter.TotalMilliseconds} ms: each at least 0, together at most {MaxDelay.TotalSeconds:0} s";
        if (Kind == FaultKind.Status && Status == ScmiStatus.SUCCESS)
            return "status SUCCESS: a status fault answers an error (SUCCESS would need return values)";
        return null;
    }
}

/// <summary>An injected fault as the control socket lists it.</summary>
/// <param name="Id">Its id (for removing it).</param>
/// <param name="Spec">What it is.</param>
/// <param name="Applied">How many commands it has applied to so far.</param>
/// <param name="Remaining">How many more it will apply to (null: no limit).</param>
public sealed record FaultStatus(int Id, FaultSpec Spec, long Applied, int? Remaining);

/// <summary>
/// The faults injected into a running platform (<c>vscmi inject</c>). With none, the hot path
/// pays one volatile read. A fault whose count is used up stays listed (with 0 remaining) until
/// cleared, so a test can see that it fired.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _sync = new();
    private volatile Fault[] _faults = [];
    private int _nextId;

    /// <summary>Whether any fault is injected.</summary>
    public bool Active => _faults.Length != 0;

    /// <summary>Adds a fault; returns its id.</summary>
    /// <exception cref="ArgumentException">The spec is not valid (<see cref="FaultSpec.Problem"/>).</exception>
    public int Add(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem)
            throw new ArgumentException(problem, nameof(spec));
        lock (_sync)
        {
            var fault = new Fault(++_nextId, spec);
            _faults = [.. _faults, fault];
            return fault.Id;
        }
    }

    /// <summary>Removes one fault; false when there is no such id.</summary>
    public bool Remove(int id)
    {
        lock (_sync)
        {
            var kept = _faults.Where(f => f.Id != id).ToArray();
            var removed = kept.Length != _faults.Length;
            _faults = kept;
            return removed;
        }
    }

    /// <summary>Removes every fault; returns how many there were.</summary>
    public int Clear()
    {
        lock (_sync)
        {
            var count = _faults.Length;
            _faults = [];
            return count;
        }
    }

    /// <summary>The faults now, oldest first.</summary>
    public IReadOnlyList<FaultStatus> List() => [.. _faults.Select(f => f.Status())];

    /// <summary>
    /// The first fault that applies to this command, its count and chance taken; null for none.
    /// For a delay, <paramref name="delay"/> is the time to wait.
    /// </summary>
    internal FaultKind? Apply(string agent, ScmiHeader header, out ScmiStatus status, out TimeSpan delay)
    {
        foreach (var fault in _faults)
        {
            if (fault.TryApply(agent, header, out status, out delay))
                return fault.Spec.Kind;
        }

        status = ScmiStatus.SUCCESS;
        delay = TimeSpan.Zero;
        return null;
    }

    private sealed class Fault(int id, FaultSpec spec)
    {
        private readonly Random _random = new(spec.Seed);
        private readonly Lock _sync = new();
        private int? _remaining = spec.Count;
        private long _applied;

        public int Id { get; } = id;

        public FaultSpec Spec { get; } = spec;

        public FaultStatus Status()
        {
            lock (_sync)
                return new FaultStatus(Id, Spec, _applied, _remaining);
        }

        public bool TryApply(string agent, ScmiHeader header, out ScmiStatus status, out TimeSpan delay)
        {
            status = Spec.Status;
            delay = TimeSpan.Zero;
            if ((Spec.Agent is { } a && a != agent) || (Spec.Protocol is { } p && p != header.ProtocolId) || (Spec.Message is { } m && m != header.MessageId))
                return false;
            lock (_sync)
            {
                if (_remaining == 0)
                    return false;
                // The draw is made for every matching command, applied or not, so a seed gives one sequence.
                if (Spec.Probability < 1.0 && _random.NextDouble() >= Spec.Probability)
                    return false;
                if (_remaining is { } left)
                    _remaining = left - 1;
                _applied++;
                if (Spec.Kind == FaultKind.Delay)
                    delay = Spec.Delay + (Spec.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(_random.NextDouble() * Spec.Jitter.Ticks)) : TimeSpan.Zero);
                return true;
            }
        }
    }
}
