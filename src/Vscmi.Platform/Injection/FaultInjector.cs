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
    /// <summary>
    /// Answer after <see cref="FaultSpec.Delay"/>, with the command's own token, when the agent has
    /// given up on it (set the delay beyond the agent's timeout). The channel waits meanwhile, as a
    /// single-threaded firmware stuck on one command would make it.
    /// </summary>
    Late,
    /// <summary>Handle the command, but answer under another token (the agent's token with bit 9 flipped).</summary>
    WrongToken,
    /// <summary>Handle the command, but send only the first <see cref="FaultSpec.Bytes"/> bytes of the reply.</summary>
    Truncate,
    /// <summary>Handle an asynchronous command, but hold its delayed response <see cref="FaultSpec.Delay"/> longer.</summary>
    HoldDelayed,
    /// <summary>
    /// Send the agent <see cref="FaultSpec.Rate"/> notifications a second (the notification
    /// <see cref="FaultSpec.Protocol"/>/<see cref="FaultSpec.Message"/> names, about resource
    /// <see cref="FaultSpec.Resource"/>, subscribed or not), <see cref="FaultSpec.Count"/> in all.
    /// </summary>
    Flood,
    /// <summary>Keep the agent's notifications and delayed responses from its channel until the fault is cleared; then they go out in order.</summary>
    Withhold,
    /// <summary>
    /// A sensor reads <see cref="FaultSpec.Value"/> (in its own units and exponent), or ramps from it
    /// to <see cref="FaultSpec.RampTo"/> over <see cref="FaultSpec.Delay"/>, until cleared: trip
    /// points crossed send SENSOR_TRIP_POINT_EVENT at the next sample.
    /// </summary>
    Sensor,
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

    /// <summary>The most notifications a second a flood may send (Linux's virtio eventq takes a few hundred).</summary>
    public const double MaxFloodRate = 10_000;

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

    /// <summary>
    /// The resource: for a command fault, only commands naming this id (the agent's own id, as the
    /// command carries it); for <see cref="FaultKind.Flood"/> the resource the notifications name;
    /// for <see cref="FaultKind.Sensor"/> the sensor (the model's id).
    /// </summary>
    public uint? Resource { get; init; }

    /// <summary>For <see cref="FaultKind.Truncate"/>: how many bytes of the reply are sent (header first).</summary>
    public int Bytes { get; init; } = 4;

    /// <summary>For <see cref="FaultKind.Flood"/>: notifications per second.</summary>
    public double Rate { get; init; } = 100;

    /// <summary>For <see cref="FaultKind.Sensor"/>: the value read (or the ramp's start).</summary>
    public long Value { get; init; }

    /// <summary>For <see cref="FaultKind.Sensor"/>: where the ramp ends, reached after <see cref="Delay"/>; null for a constant value.</summary>
    public long? RampTo { get; init; }

    /// <summary>Whether the fault acts on commands as they are handled (the others act on the platform's own messages or values).</summary>
    public bool OnCommands => Kind is FaultKind.Status or FaultKind.Delay or FaultKind.Drop or FaultKind.Late or FaultKind.WrongToken or FaultKind.Truncate;

    /// <summary>Why the spec cannot be injected, naming the value; null when it can.</summary>
    public string? Problem()
    {
        if (Count is < 1)
            return $"count {Count}: at least 1 (or none for every matching command)";
        if (double.IsNaN(Probability) || Probability is <= 0 or > 1)
            return $"probability {Probability.ToString(CultureInfo.InvariantCulture)}: within (0, 1]";
        if (Kind is FaultKind.Delay or FaultKind.Late or FaultKind.HoldDelayed && (Delay < TimeSpan.Zero || Jitter < TimeSpan.Zero || Delay + Jitter > MaxDelay))
            return $"delay {Delay.TotalMilliseconds} ms + jitter {Jitter.TotalMilliseconds} ms: each at least 0, together at most {MaxDelay.TotalSeconds:0} s";
        if (Kind == FaultKind.Truncate && Bytes < 1)
            return $"bytes {Bytes}: at least 1 (a reply of no bytes is a drop)";
        if (Kind == FaultKind.Flood && (double.IsNaN(Rate) || Rate is <= 0 or > MaxFloodRate))
            return $"rate {Rate.ToString(CultureInfo.InvariantCulture)}: within (0, {MaxFloodRate}] notifications per second";
        if (Kind == FaultKind.Flood && (Protocol is null || Message is null))
            return "flood: name the notification (PERFORMANCE_LEVEL_CHANGED, SENSOR_TRIP_POINT_EVENT...)";
        if (Kind == FaultKind.Sensor && (Resource is null || Delay < TimeSpan.Zero || (RampTo is not null && Delay <= TimeSpan.Zero)))
            return Resource is null ? "sensor: name the sensor" : $"ramp over {Delay.TotalMilliseconds} ms: a ramp takes more than 0 ms";
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
/// cleared, so a test can see that it fired. Faults that act on the platform's own messages or
/// values (<see cref="FaultKind.Flood"/>, <see cref="FaultKind.Withhold"/>,
/// <see cref="FaultKind.Sensor"/>) start when added and stop when removed.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _sync = new();
    private readonly ScmiPlatform? _platform;
    private volatile Fault[] _faults = [];
    private volatile Fault[] _onCommands = [];
    private int _nextId;

    /// <summary>An injector for command faults only (no platform to flood, withhold or override a sensor on).</summary>
    public FaultInjector()
    {
    }

    internal FaultInjector(ScmiPlatform platform) => _platform = platform;

    /// <summary>Whether any fault that acts on commands is injected.</summary>
    public bool Active => _onCommands.Length != 0;

    /// <summary>Whether any fault holds delayed responses.</summary>
    internal bool HasHolds => _holds;

    private volatile bool _holds;

    /// <summary>Adds a fault (starting it, for a flood, a withholding or a sensor value); returns its id.</summary>
    /// <exception cref="ArgumentException">The spec is not valid (<see cref="FaultSpec.Problem"/>), or names what the model lacks.</exception>
    public int Add(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem)
            throw new ArgumentException(problem, nameof(spec));
        if (!spec.OnCommands && spec.Kind != FaultKind.HoldDelayed && _platform is null)
            throw new ArgumentException($"{spec.Kind}: needs a platform", nameof(spec));
        lock (_sync)
        {
            var fault = new Fault(++_nextId, spec);
            if (_platform is not null && _platform.StartInjection(fault) is { } refusal)
                throw new ArgumentException(refusal, nameof(spec));
            Publish([.. _faults, fault]);
            return fault.Id;
        }
    }

    /// <summary>Removes one fault (stopping it); false when there is no such id.</summary>
    public bool Remove(int id)
    {
        lock (_sync)
        {
            var removed = _faults.FirstOrDefault(f => f.Id == id);
            if (removed is null)
                return false;
            Publish([.. _faults.Where(f => f.Id != id)]);
            _platform?.StopInjection(removed);
            return true;
        }
    }

    /// <summary>Removes every fault; returns how many there were.</summary>
    public int Clear()
    {
        lock (_sync)
        {
            var all = _faults;
            Publish([]);
            foreach (var fault in all)
                _platform?.StopInjection(fault);
            return all.Length;
        }
    }

    private void Publish(Fault[] faults)
    {
        _faults = faults;
        _onCommands = [.. faults.Where(f => f.Spec.OnCommands)];
        _holds = faults.Any(f => f.Spec.Kind == FaultKind.HoldDelayed);
    }

    /// <summary>The faults now, oldest first.</summary>
    public IReadOnlyList<FaultStatus> List() => [.. _faults.Select(f => f.Status())];

    /// <summary>The faults of one kind now (the platform's view, for withholding and delayed responses).</summary>
    internal IEnumerable<Fault> OfKind(FaultKind kind) => _faults.Where(f => f.Spec.Kind == kind);

    /// <summary>
    /// The first command fault that applies to this command, its count and chance taken; null for
    /// none. For a delay, <paramref name="delay"/> is the time to wait; <paramref name="resource"/>
    /// is the resource the command names (null: none).
    /// </summary>
    internal FaultSpec? Apply(string agent, ScmiHeader header, uint? resource, out TimeSpan delay)
    {
        foreach (var fault in _onCommands)
        {
            if (fault.TryApply(agent, header, resource, out delay))
                return fault.Spec;
        }

        delay = TimeSpan.Zero;
        return null;
    }

    /// <summary>How much longer the delayed response of this command is held (<see cref="FaultKind.HoldDelayed"/>); zero for none.</summary>
    internal TimeSpan DelayedResponseHold(string agent, ScmiHeader command)
    {
        foreach (var fault in _faults)
        {
            if (fault.Spec.Kind == FaultKind.HoldDelayed && fault.TryApply(agent, command, null, out var delay))
                return delay;
        }

        return TimeSpan.Zero;
    }

    /// <summary>One injected fault, with its count, its random generator and what the platform hangs on it.</summary>
    internal sealed class Fault(int id, FaultSpec spec)
    {
        private readonly Random _random = new(spec.Seed);
        private readonly Lock _sync = new();
        private int? _remaining = spec.Count;
        private long _applied;

        public int Id { get; } = id;

        public FaultSpec Spec { get; } = spec;

        /// <summary>What the platform keeps while the fault runs (a flood's timer, a sensor's own source).</summary>
        public object? Running { get; set; }

        public FaultStatus Status()
        {
            lock (_sync)
                return new FaultStatus(Id, Spec, _applied, _remaining);
        }

        /// <summary>Takes up to <paramref name="wanted"/> applications from the count; returns how many are left to make.</summary>
        public int Take(int wanted)
        {
            lock (_sync)
            {
                var granted = _remaining is { } left ? Math.Min(left, wanted) : wanted;
                if (_remaining is not null)
                    _remaining -= granted;
                _applied += granted;
                return granted;
            }
        }

        /// <summary>Whether the count is used up.</summary>
        public bool Exhausted
        {
            get
            {
                lock (_sync)
                    return _remaining == 0;
            }
        }

        public bool TryApply(string agent, ScmiHeader header, uint? resource, out TimeSpan delay)
        {
            delay = TimeSpan.Zero;
            if ((Spec.Agent is { } a && a != agent) || (Spec.Protocol is { } p && p != header.ProtocolId) || (Spec.Message is { } m && m != header.MessageId)
                || (Spec.Resource is { } r && Spec.OnCommands && r != resource))
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
                if (Spec.Kind is FaultKind.Delay or FaultKind.Late or FaultKind.HoldDelayed)
                    delay = Spec.Delay + (Spec.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(_random.NextDouble() * Spec.Jitter.Ticks)) : TimeSpan.Zero);
                return true;
            }
        }
    }
}

/// <summary>The names faults and platform events go by on the control socket, the command line and in scenario files.</summary>
public static class FaultNames
{
    /// <summary>The fault kinds (<c>inject add</c>), by name.</summary>
    public static readonly IReadOnlyDictionary<string, FaultKind> Kinds = new Dictionary<string, FaultKind>(StringComparer.Ordinal)
    {
        ["status"] = FaultKind.Status, ["delay"] = FaultKind.Delay, ["drop"] = FaultKind.Drop, ["late"] = FaultKind.Late,
        ["wrong-token"] = FaultKind.WrongToken, ["truncate"] = FaultKind.Truncate, ["hold-delayed"] = FaultKind.HoldDelayed,
        ["flood"] = FaultKind.Flood, ["withhold"] = FaultKind.Withhold, ["sensor"] = FaultKind.Sensor,
    };

    /// <summary>The platform events (<c>inject event</c>).</summary>
    public static readonly IReadOnlyList<string> Events = ["perf-limits", "clock-rate", "power-state", "reset", "system-power", "error", "revoke", "allow"];
}
