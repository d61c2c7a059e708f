using System.Threading.Channels;

namespace Vscmi.Platform.Telemetry;

/// <summary>Which way a traced message went.</summary>
public enum TraceDirection
{
    /// <summary>Agent to platform: a command.</summary>
    In = 1,
    /// <summary>Platform to agent: a reply, a delayed response or a notification.</summary>
    Out = 2,
}

/// <summary>
/// One message as the platform saw it: when (Unix time in nanoseconds), which agent and which way,
/// the whole message (header and payload), and for a reply how long the platform took.
/// </summary>
/// <param name="UnixTimeNs">Wall-clock time, nanoseconds since 1970-01-01 UTC.</param>
/// <param name="AgentId">The agent (1-based).</param>
/// <param name="AgentName">The agent's name from the model.</param>
/// <param name="Direction">In (command) or out (reply, delayed response, notification).</param>
/// <param name="LatencyNs">For a reply, nanoseconds from its command to it; 0 otherwise.</param>
/// <param name="Message">The message bytes: header, then payload (a reply's status first).</param>
public sealed record TraceRecord(long UnixTimeNs, int AgentId, string AgentName, TraceDirection Direction, long LatencyNs, byte[] Message);

/// <summary>What a subscriber wants to see; null members match everything.</summary>
/// <param name="Agents">Agent names to keep.</param>
/// <param name="Protocols">Protocol ids to keep.</param>
public sealed record TraceFilter(IReadOnlySet<string>? Agents = null, IReadOnlySet<byte>? Protocols = null)
{
    /// <summary>Everything.</summary>
    public static readonly TraceFilter All = new();

    internal bool Matches(string agent, byte protocol) =>
        (Agents is null || Agents.Contains(agent)) && (Protocols is null || Protocols.Contains(protocol));
}

/// <summary>
/// The platform's live message trace (<c>vscmi trace</c>, the dashboard's message log). With no
/// subscriber it costs one volatile read per message. Each subscriber has a bounded ring: when
/// it falls behind, new records are dropped and counted, and the data plane never waits.
/// </summary>
public sealed class TraceHub
{
    private readonly Lock _sync = new();
    private volatile TraceSubscription[] _subscribers = [];

    /// <summary>Records a subscriber's ring holds unless it asks otherwise.</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>Whether anyone is subscribed (the hot path's only check).</summary>
    public bool Active => _subscribers.Length != 0;

    /// <summary>Subscribers now.</summary>
    public int Subscribers => _subscribers.Length;

    /// <summary>Starts a subscription; dispose it to stop.</summary>
    public TraceSubscription Subscribe(TraceFilter? filter = null, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new TraceSubscription(this, filter ?? TraceFilter.All, capacity);
        lock (_sync)
            _subscribers = [.. _subscribers, subscription];
        return subscription;
    }

    internal void Remove(TraceSubscription subscription)
    {
        lock (_sync)
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
    }

    /// <summary>Wall-clock time as nanoseconds since 1970-01-01 UTC.</summary>
    public static long UnixTimeNs(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return (time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
    }

    /// <summary>
    /// Hands a message to every matching subscriber (copied once, shared by all). A subscriber that
    /// already holds <paramref name="agentLimit"/> bytes of this agent's records, unread, drops it
    /// (<c>trace_buffer_bytes</c>: one agent's flood cannot push every other agent out of a slow
    /// subscriber's ring). Returns true when some subscriber dropped it for that reason.
    /// </summary>
    internal bool Publish(long unixTimeNs, AgentSession session, TraceDirection direction, ReadOnlySpan<byte> message, long latencyNs, long agentLimit)
    {
        var subscribers = _subscribers;
        if (subscribers.Length == 0 || message.Length < 4)
            return false;
        var protocol = ScmiHeader.FromValueUnchecked(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(message)).ProtocolId;
        var agent = session.AgentName;
        TraceRecord? record = null;
        var limited = false;
        foreach (var subscriber in subscribers)
        {
            if (!subscriber.Filter.Matches(agent, protocol))
                continue;
            record ??= new TraceRecord(unixTimeNs,
                session.AgentId, agent, direction, latencyNs, message.ToArray());
            limited |= !subscriber.Offer(record, agentLimit);
        }

        return limited;
    }

    /// <summary>What a record is reckoned to hold in a subscriber's ring: its bytes and the objects around them.</summary>
    internal static int BufferedBytes(TraceRecord record) => record.Message.Length + RecordOverhead;

    // The record, its array and the ring's slot, measured on .NET 10 x64: about 120 bytes.
    private const int RecordOverhead = 120;
}

/// <summary>One subscriber's view of the trace: a bounded ring read by <see cref="Records"/>.</summary>
public sealed class TraceSubscription : IDisposable
{
    private readonly TraceHub _hub;
    private readonly Channel<TraceRecord> _ring;
    // Bytes of each agent's records in the ring, unread (agent ids are below 256).
    private readonly long[] _agentBytes = new long[256];
    private long _dropped;
    private long _droppedForAgentLimit;

    internal TraceSubscription(TraceHub hub, TraceFilter filter, int capacity)
    {
        _hub = hub;
        Filter = filter;
        // FullMode Wait with TryWrite never waits: a full ring refuses, and the record is counted as dropped.
        _ring = Channel.CreateBounded<TraceRecord>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        Records = new AccountedReader(this);
    }

    /// <summary>What this subscriber sees.</summary>
    public TraceFilter Filter { get; }

    /// <summary>The records, oldest first; completes when the subscription is disposed.</summary>
    public ChannelReader<TraceRecord> Records { get; }

    /// <summary>Records dropped so far because the ring was full or their agent's share of it was.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Of <see cref="Dropped"/>, the records dropped because their agent held its <c>trace_buffer_bytes</c> in this ring.</summary>
    public long DroppedForAgentLimit => Interlocked.Read(ref _droppedForAgentLimit);

    /// <summary>Bytes of an agent's records in this ring, unread.</summary>
    public long BufferedBytesOf(int agentId) => (uint)agentId < (uint)_agentBytes.Length ? Interlocked.Read(ref _agentBytes[agentId]) : 0;

    /// <summary>Offers a record; false when it was dropped because its agent is over <paramref name="agentLimit"/> bytes here.</summary>
    internal bool Offer(TraceRecord record, long agentLimit)
    {
        var bytes = TraceHub.BufferedBytes(record);
        var slot = SlotOf(record);
        if (Interlocked.Add(ref _agentBytes[slot], bytes) > agentLimit)
        {
            Interlocked.Add(ref _agentBytes[slot], -bytes);
            Interlocked.Increment(ref _droppedForAgentLimit);
            Drop();
            return false;
        }

        if (_ring.Writer.TryWrite(record))
            return true;
        Interlocked.Add(ref _agentBytes[slot], -bytes);
        Drop();
        return true;
    }

    private void Drop()
    {
        Interlocked.Increment(ref _dropped);
        PlatformMetrics.TraceDropped.Add(1);
    }

    private void Taken(TraceRecord record) => Interlocked.Add(ref _agentBytes[SlotOf(record)], -TraceHub.BufferedBytes(record));

    private int SlotOf(TraceRecord record) => (uint)record.AgentId < (uint)_agentBytes.Length ? record.AgentId : 0;

    /// <inheritdoc />
    public void Dispose()
    {
        _hub.Remove(this);
        _ring.Writer.TryComplete();
    }

    /// <summary>The ring's reader, giving an agent's share back as its records are read.</summary>
    private sealed class AccountedReader(TraceSubscription owner) : ChannelReader<TraceRecord>
    {
        private readonly ChannelReader<TraceRecord> _inner = owner._ring.Reader;

        public override Task Completion => _inner.Completion;

        public override bool CanCount => _inner.CanCount;

        public override int Count => _inner.Count;

        public override bool CanPeek => _inner.CanPeek;

        public override bool TryPeek([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TraceRecord item) => _inner.TryPeek(out item);

        public override bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TraceRecord item)
        {
            if (!_inner.TryRead(out item))
                return false;
            owner.Taken(item);
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _inner.WaitToReadAsync(cancellationToken);
    }
}
