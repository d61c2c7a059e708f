using System.Threading.Channels;

namespace Vscmi.Platform;

/// <summary>
/// One agent channel (a connection, a virtio device): which agent it is, what the channel can
/// carry, and the state SCMI keeps per channel (negotiated versions, notification subscriptions).
/// </summary>
public sealed class AgentSession
{
    private readonly HashSet<(byte Protocol, byte Message, uint Resource)> _subscriptions = [];
    private readonly Dictionary<byte, uint> _negotiated = [];
    private readonly Lock _sync = new();
    // Not SingleReader: that variant cannot count or peek, and the virtio eventq peeks (a message
    // leaves the outbox only when a buffer takes it) and reports how many wait.
    private readonly Channel<byte[]> _outbox = Channel.CreateUnbounded<byte[]>();
    private int _queuedNotifications;

    private readonly Dictionary<Model.ResourceKind, int[]> _views;
    private readonly Dictionary<Model.ResourceKind, Dictionary<int, uint>> _localIds;

    internal AgentSession(ScmiPlatform platform, int agentId, int maxPayload, bool hasP2A, string transport, int countedCommands)
    {
        Platform = platform;
        AgentId = agentId;
        MaxPayload = maxPayload;
        HasP2A = hasP2A;
        Transport = transport;
        MessageCounts = new long[(countedCommands + 1) * Telemetry.PlatformMetrics.StatusSlots];
        _views = new(platform.Model.Agents[agentId - 1].Views);
        _localIds = _views.ToDictionary(v => v.Key, v => v.Value.Select((global, local) => (global, (uint)local)).ToDictionary(p => p.global, p => p.Item2));
    }

    /// <summary>How many resources of a kind this agent sees (its ids are 0..count-1).</summary>
    public int VisibleCount(Model.ResourceKind kind) => _views.TryGetValue(kind, out var view) ? view.Length : Platform.ResourceCount(kind);

    /// <summary>The global id behind one of the agent's ids; false when it sees no such resource.</summary>
    public bool TryGlobal(Model.ResourceKind kind, uint local, out int global)
    {
        var total = Platform.ResourceCount(kind);
        if (_views.TryGetValue(kind, out var view))
        {
            global = local < (uint)view.Length ? view[local] : -1;
            return global >= 0;
        }

        global = local < (uint)total ? (int)local : -1;
        return global >= 0;
    }

    /// <summary>The agent's id for a global resource; false when it cannot see it.</summary>
    public bool TryLocal(Model.ResourceKind kind, int global, out uint local)
    {
        if (_localIds.TryGetValue(kind, out var ids))
            return ids.TryGetValue(global, out local);
        local = (uint)global;
        return true;
    }

    /// <summary>
    /// Notifications are dropped beyond this many waiting for the transport (a slow or absent
    /// reader must not grow the daemon); delayed responses are never dropped (VIRTIO 5.17).
    /// </summary>
    public const int NotificationBacklog = 256;

    /// <summary>Platform-to-agent messages waiting for the transport, in order. The transport's writer drains it.</summary>
    public ChannelReader<byte[]> Outbox => _outbox.Reader;

    /// <summary>
    /// Called after a message enters <see cref="Outbox"/>, on the producing thread and possibly
    /// under the platform's lock: a transport that drains the outbox on a thread of its own
    /// (virtio's eventq) wakes that thread here, and must not block. Unset, readers wait on the channel.
    /// </summary>
    public Action? OutboxReady { get; set; }

    /// <summary>Notifications dropped because the backlog was full.</summary>
    public int DroppedNotifications { get; private set; }

    /// <summary>The kind of channel: <c>stream</c> (sockets, in-process) or <c>virtio</c> (a VM's device).</summary>
    public string Transport { get; }

    /// <summary>
    /// Commands answered, by (command, status): slot = entry index × status slots + status slot,
    /// the last command slot for messages the platform does not have. Written only by the
    /// session's one transport thread (no atomics on the hot path); read by metrics collectors.
    /// </summary>
    internal long[] MessageCounts { get; }

    /// <summary>Counts one answered command: <paramref name="command"/> is its table index (the table's size for one the platform lacks).</summary>
    internal void Count(int command, ScmiStatus status) =>
        MessageCounts[(command * Telemetry.PlatformMetrics.StatusSlots) + Telemetry.PlatformMetrics.StatusSlot(status)]++;

    /// <summary>Counts a command never answered (an injected drop): metrics count it under NO_REPLY.</summary>
    internal void CountUnanswered(int command) =>
        MessageCounts[(command * Telemetry.PlatformMetrics.StatusSlots) + Telemetry.PlatformMetrics.NoReplySlot]++;

    private int _handling;

    /// <summary>Commands being handled now, plus asynchronous ones whose delayed response is not delivered yet.</summary>
    public int InFlight => Volatile.Read(ref _handling) + PendingAsync;

    /// <summary>Notifications waiting for the transport.</summary>
    public int QueuedNotifications => Math.Max(0, Volatile.Read(ref _queuedNotifications));

    /// <summary>Asynchronous commands whose delayed response has not been delivered.</summary>
    public int PendingAsync => Math.Max(0, Volatile.Read(ref _pendingAsync));

    /// <summary>Marks a command being handled (one transport thread per session: a plain flag).</summary>
    internal void SetHandling(bool handling) => Volatile.Write(ref _handling, handling ? 1 : 0);

    /// <summary>
    /// The transport delivered (or definitively dropped) a message it took from
    /// <see cref="Outbox"/>; call once per message. A notification frees a backlog place; a
    /// delayed response frees its asynchronous-command slot, so an agent that never collects its
    /// delayed responses (no eventq buffers) is held to <see cref="MaxPendingAsync"/> of them
    /// instead of growing the daemon.
    /// </summary>
    public void MessageDelivered(ReadOnlySpan<byte> message)
    {
        if (message.Length >= 4 && ScmiHeader.FromValueUnchecked(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(message)).Type == ScmiMessageType.DELAYED_RESPONSE)
            Interlocked.Decrement(ref _pendingAsync);
        else
            Interlocked.Decrement(ref _queuedNotifications);
    }

    /// <summary>Queues a notification unless the backlog is full.</summary>
    internal void EnqueueNotification(byte[] message)
    {
        if (Interlocked.Increment(ref _queuedNotifications) > NotificationBacklog)
        {
            Interlocked.Decrement(ref _queuedNotifications);
            DroppedNotifications++;
            return;
        }

        Send(message);
    }

    /// <summary>Puts a platform-to-agent message in the outbox, or behind it while withheld (<see cref="Withhold"/>).</summary>
    private bool Send(byte[] message)
    {
        if (_withholding)
        {
            lock (_withheld)
            {
                if (_withholding)
                {
                    _withheld.Enqueue(message);
                    return true;
                }
            }
        }

        if (!_outbox.Writer.TryWrite(message))
            return false;
        if (Platform.Trace.Active)
            Platform.PublishTrace(Telemetry.TraceHub.UnixTimeNs(Platform.Time), this, Telemetry.TraceDirection.Out, message, 0);
        OutboxReady?.Invoke();
        return true;
    }

    private readonly Queue<byte[]> _withheld = new();
    private volatile bool _withholding;

    /// <summary>
    /// Withholds platform-to-agent messages (an injected <c>withhold</c> fault: a platform whose
    /// event channel is stuck), or releases them, in order. Notifications still count against the
    /// backlog, so a withheld agent cannot grow the daemon.
    /// </summary>
    internal void Withhold(bool withhold)
    {
        lock (_withheld)
        {
            if (withhold)
            {
                _withholding = true;
                return;
            }

            // Drained before the flag drops, under the lock: a message sent meanwhile waits here and goes out after these.
            while (_withheld.TryDequeue(out var message))
            {
                if (_outbox.Writer.TryWrite(message))
                {
                    if (Platform.Trace.Active)
                        Platform.PublishTrace(Telemetry.TraceHub.UnixTimeNs(Platform.Time), this, Telemetry.TraceDirection.Out, message, 0);
                }
            }

            _withholding = false;
        }

        OutboxReady?.Invoke();
    }

    /// <summary>Platform-to-agent messages withheld now.</summary>
    public int WithheldMessages
    {
        get
        {
            lock (_withheld)
                return _withheld.Count;
        }
    }

    /// <summary>
    /// Asynchronous commands a session may have pending, from the command until its delayed
    /// response is delivered (CLOCK and SENSOR PROTOCOL_ATTRIBUTES advertise it).
    /// </summary>
    public const int MaxPendingAsync = 16;

    private int _pendingAsync;

    /// <summary>Reserves a slot for an asynchronous command; false (BUSY) when all are taken.</summary>
    internal bool TryBeginAsync()
    {
        if (Interlocked.Increment(ref _pendingAsync) <= MaxPendingAsync)
            return true;
        Interlocked.Decrement(ref _pendingAsync);
        return false;
    }

    /// <summary>
    /// Queues a delayed response (never dropped); its slot is freed when the transport delivers it
    /// (<see cref="MessageDelivered"/>). Without one (ignore_delayed_response) the slot is freed now.
    /// When the transport gates delayed responses (<see cref="GateDelayedResponses"/>) and the
    /// reply to command <paramref name="command"/> has not reached the agent yet, the delayed
    /// response waits until <see cref="RepliesDelivered"/> says it has.
    /// </summary>
    internal void CompleteAsync(byte[]? delayedResponse, long command)
    {
        if (delayedResponse is null)
        {
            Interlocked.Decrement(ref _pendingAsync);
            return;
        }

        if (!GateDelayedResponses || command <= Volatile.Read(ref _repliesDelivered))
        {
            Release(delayedResponse);
            return;
        }

        lock (_held)
        {
            _held.Enqueue((command, delayedResponse));
            Volatile.Write(ref _heldCount, _held.Count);
        }

        // Full fence, paired with the one in RepliesDelivered: either it sees our held entry or we
        // see its new mark, so a delayed response is never left behind a reply already delivered.
        Interlocked.MemoryBarrier();
        if (command <= Volatile.Read(ref _repliesDelivered))
            ReleaseHeld();
        else
            DelayedResponseHeld?.Invoke();
    }

    private void Release(byte[] delayedResponse)
    {
        if (!Send(delayedResponse))
            Interlocked.Decrement(ref _pendingAsync);
    }

    // A delayed response must not reach the agent before its command's reply: Linux then takes the
    // early delayed response as the answer and rejects the real reply ("Invalid message type:0",
    // reference 5.6). Commands are numbered per session as the platform handles them; the transport
    // says how far replies have been delivered.
    private readonly Queue<(long Command, byte[] Message)> _held = new();
    private long _commandsHandled;
    private long _repliesDelivered;
    private int _heldCount;

    /// <summary>
    /// Set by a transport that reports <see cref="RepliesDelivered"/>: delayed responses then wait
    /// for their command's reply to be delivered. Off by default (everything goes out at once).
    /// </summary>
    public bool GateDelayedResponses { get; set; }

    /// <summary>Called (on the thread that completed the command, outside locks) when a delayed response starts waiting for its reply.</summary>
    public Action? DelayedResponseHeld { get; set; }

    /// <summary>Commands handled on this session so far; the number of the one being handled while a handler runs.</summary>
    public long CommandsHandled => Volatile.Read(ref _commandsHandled);

    /// <summary>Delayed responses waiting for their command's reply to be delivered.</summary>
    public int HeldDelayedResponses => Volatile.Read(ref _heldCount);

    /// <summary>Numbers the next command (<see cref="ScmiPlatform.Handle"/> calls it once per command; one transport thread per session).</summary>
    internal long BeginCommand() => ++_commandsHandled;

    /// <summary>
    /// The replies to every command up to number <paramref name="command"/> (see
    /// <see cref="CommandsHandled"/>) have reached the agent: delayed responses waiting on them go out.
    /// </summary>
    public void RepliesDelivered(long command)
    {
        if (command <= Volatile.Read(ref _repliesDelivered))
            return;
        Volatile.Write(ref _repliesDelivered, command);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _heldCount) > 0)
            ReleaseHeld();
    }

    /// <summary>Sends every held delayed response now, whatever the replies (the transport's bounded wait ran out, or the channel resets).</summary>
    public void ReleaseHeldDelayedResponses() => RepliesDelivered(Volatile.Read(ref _commandsHandled));

    private void ReleaseHeld()
    {
        lock (_held)
        {
            var delivered = Volatile.Read(ref _repliesDelivered);
            while (_held.Count > 0 && _held.Peek().Command <= delivered)
                Release(_held.Dequeue().Message);
            Volatile.Write(ref _heldCount, _held.Count);
        }
    }

    /// <summary>Ends the outbox (the channel closed).</summary>
    internal void CloseOutbox()
    {
        _outbox.Writer.TryComplete();
        lock (_held)
        {
            _held.Clear();
            Volatile.Write(ref _heldCount, 0);
        }
    }

    /// <summary>The platform this session talks to.</summary>
    public ScmiPlatform Platform { get; }

    /// <summary>The agent id (1-based; 0 is the platform).</summary>
    public int AgentId { get; }

    /// <summary>The agent's name from the model.</summary>
    public string AgentName => Platform.Model.Agents[AgentId - 1].Name;

    /// <summary>True when the agent may use the privileged Base commands.</summary>
    public bool Trusted => Platform.Model.Agents[AgentId - 1].Trusted;

    /// <summary>Largest payload in either direction, after the header (and after the status word of a reply).</summary>
    public int MaxPayload { get; }

    /// <summary>True when the channel carries platform-to-agent messages (notifications, delayed responses).</summary>
    public bool HasP2A { get; }

    /// <summary>Bytes a reply buffer needs: header, status and the largest payload.</summary>
    public int ReplyBufferSize => 8 + MaxPayload;

    /// <summary>Records (or removes) a notification subscription.</summary>
    internal void Subscribe(byte protocol, byte notifyMessage, uint resource, bool enable)
    {
        lock (_sync)
        {
            if (enable)
                _subscriptions.Add((protocol, notifyMessage, resource));
            else
                _subscriptions.Remove((protocol, notifyMessage, resource));
        }
    }

    /// <summary>True when the agent asked for this notification.</summary>
    public bool IsSubscribed(byte protocol, byte notifyMessage, uint resource)
    {
        lock (_sync)
            return _subscriptions.Contains((protocol, notifyMessage, resource));
    }

    internal void SetNegotiated(byte protocol, uint version)
    {
        lock (_sync)
            _negotiated[protocol] = version;
    }

    /// <summary>The version negotiated for a protocol, if any.</summary>
    public uint? NegotiatedVersion(byte protocol)
    {
        lock (_sync)
            return _negotiated.TryGetValue(protocol, out var v) ? v : null;
    }

    /// <summary>Forgets subscriptions and negotiated versions (BASE_RESET_AGENT_CONFIGURATION, channel reset).</summary>
    internal void Reset()
    {
        lock (_sync)
        {
            _subscriptions.Clear();
            _negotiated.Clear();
        }
    }
}
