using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform;
using Vscmi.Protocol;

namespace Vscmi.Virtio;

/// <summary>
/// The virtio-scmi device (VIRTIO 1.3 5.17; reference 4.1–4.7), transport-neutral: whoever owns
/// it (the vhost-user backend, a test) gives it guest memory and ring addresses, calls
/// <see cref="Kick"/> when the driver notifies a queue, and gets <c>notifyDriver(queue)</c> back
/// when used buffers should interrupt the guest.
/// <para>
/// cmdq: each chain is one command; the platform answers at once (a delayed command answers
/// SUCCESS and its delayed response follows on the eventq), so no command waits behind another.
/// eventq: notifications and delayed responses from the agent's session go into buffers the
/// driver posted; when it posted too few they wait in a backlog bounded by the session
/// (<see cref="AgentSession.NotificationBacklog"/>).
/// </para>
/// <para>
/// A driver that breaks the ring rules gets the device marked broken: its queues are no longer
/// touched until a reset, and nothing else is affected.
/// </para>
/// </summary>
public sealed partial class VirtioScmiDevice : IDisposable
{
    /// <summary>Queue index of the cmdq.</summary>
    public const int CommandQueue = 0;

    /// <summary>Queue index of the eventq.</summary>
    public const int EventQueue = 1;

    /// <summary>VIRTIO_SCMI_MAX_MSG_SIZE: the Linux agent's payload limit per message (reference 4.4).</summary>
    public const int MaxPayload = 128;

    private readonly ScmiPlatform _platform;
    private readonly int _agentId;
    private readonly ILogger _logger;
    private readonly Action<int> _notifyDriver;
    private readonly Lock _lock = new();
    private readonly DeviceQueue[] _queues = [new(), new()];
    private readonly Vring[] _rings = [new(), new()];
    private readonly byte[] _request = new byte[ScmiHeader.Size + MaxPayload];
    private byte[] _reply = [];
    private AgentSession? _session;

    // Delayed responses wait until the driver has read their command's reply (see ReleaseDelayedResponses).
    private long[] _commandAtUsed = [];
    private ushort _readUsed;
    private ITimer? _replyWatch;
    private long _heldSince;
    private GuestMemory _memory = GuestMemory.Empty;

    /// <summary>Creates a device serving <paramref name="agentId"/>.</summary>
    /// <param name="platform">The platform answering commands.</param>
    /// <param name="agentId">The agent this device (this VM) is.</param>
    /// <param name="name">A name for logs (the socket).</param>
    /// <param name="notifyDriver">
    /// Called with a queue index when the guest should be interrupted, outside this device's lock:
    /// on the thread that kicked, or on whichever thread produced a platform-to-agent message
    /// (possibly under the platform's lock), so it must be thread-safe and never block.
    /// </param>
    /// <param name="logger">Where ring violations and resets are logged.</param>
    public VirtioScmiDevice(ScmiPlatform platform, int agentId, string name, Action<int> notifyDriver, ILogger? logger = null)
    {
        _platform = platform ?? throw new ArgumentNullException(nameof(platform));
        _agentId = agentId;
        Name = name;
        _notifyDriver = notifyDriver ?? throw new ArgumentNullException(nameof(notifyDriver));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A name for logs.</summary>
    public string Name { get; }

    /// <summary>Feature bits the device offers.</summary>
    public static ulong OfferedFeatures => VirtioFeatures.ScmiDevice;

    /// <summary>Feature bits the driver accepted (only offered bits are kept).</summary>
    public ulong AckedFeatures { get; private set; }

    /// <summary>Why the device stopped serving, or null while it is healthy.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>
    /// Called when platform-to-agent messages wait in the session's outbox, on whatever thread
    /// produced them (another VM's command, a timer), possibly under the platform's lock: it must
    /// not block, and must get <see cref="Kick"/>(<see cref="EventQueue"/>) run soon on the thread
    /// that owns this device (the vhost-user backend signals its data plane's eventfd). Unset, the
    /// device posts that flush to the thread pool.
    /// </summary>
    public Action? EventsWaiting { get; set; }

    /// <summary>Called once when the device is marked broken, with the reason (the vhost-user backend signals its error eventfd).</summary>
    public Action<string>? Broken { get; set; }

    /// <summary>Commands answered since the device was created.</summary>
    public long CommandsAnswered { get; private set; }

    /// <summary>
    /// Longest a delayed response waits for the driver to show (EVENT_IDX used_event) that it read
    /// its command's reply; past this it goes out anyway (a driver that polls and never moves
    /// used_event). Linux waits 2 s for a delayed response (reference 5.6), so 1 s stays inside it.
    /// </summary>
    public static readonly TimeSpan MaxReplyWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Without EVENT_IDX the device cannot see what the driver has read: a delayed response then
    /// waits this long after its reply was published, a guess that covers a guest's interrupt path.
    /// </summary>
    public static readonly TimeSpan ReplyGraceWithoutEventIdx = TimeSpan.FromMilliseconds(5);

    /// <summary>How often a held delayed response looks at used_event again.</summary>
    private static readonly TimeSpan ReplyWatchPeriod = TimeSpan.FromMilliseconds(1);

    /// <summary>Platform-to-agent messages waiting for eventq buffers.</summary>
    public int PendingEvents
    {
        get
        {
            lock (_lock)
                return _session is { Outbox: var outbox } && outbox.CanCount ? outbox.Count : 0;
        }
    }

    /// <summary>Records the driver's features; unknown bits are ignored.</summary>
    public void SetFeatures(ulong features)
    {
        lock (_lock)
            AckedFeatures = features & OfferedFeatures;
    }

    /// <summary>
    /// Replaces guest memory. Running queues are translated again against it and go on where they
    /// were (memory hotplug); one whose rings no longer fit marks the device broken. A queue that
    /// was only waiting for memory starts.
    /// </summary>
    public void SetMemory(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Span<bool> started = stackalloc bool[2];
        lock (_lock)
        {
            _memory = memory;
            for (var i = 0; i < _queues.Length; i++)
            {
                if (_queues[i].Retranslate(memory) is { } error)
                    Break($"ring {i} after a new memory table: {error}");
                else
                    started[i] = TryActivate(i);
            }
        }

        KickStarted(started);
    }

    /// <summary>Queue <paramref name="index"/>'s configuration (read under no lock: for logs and tests).</summary>
    public Vring Ring(int index) => _rings[index];

    /// <summary>Sets queue <paramref name="index"/>'s size; returns null or why it was refused.</summary>
    public string? SetQueueSize(int index, int size)
    {
        if (NoSuchQueue(index) is { } missing)
            return missing;
        if (!SplitRing.IsValidSize(size))
            return $"ring size {size} is not a power of two from 1 to {SplitRing.MaxQueueSize}";
        ChangeRing(index, ring => ring.Size = size);
        return null;
    }

    /// <summary>Sets queue <paramref name="index"/>'s ring addresses (guest-physical); the queue starts if that was all it waited for.</summary>
    public string? SetQueueAddresses(int index, GuestAddress descriptors, GuestAddress avail, GuestAddress used)
    {
        if (NoSuchQueue(index) is { } missing)
            return missing;
        ChangeRing(index, ring =>
        {
            if (_queues[index].IsReady)
            {
                // New addresses for a running ring: it goes on from where it was, at the new place.
                ring.Base = _queues[index].LastAvail;
                _queues[index].Unconfigure();
            }

            (ring.Descriptors, ring.Avail, ring.Used, ring.HasAddresses) = (descriptors, avail, used, true);
        });
        return null;
    }

    /// <summary>Sets where queue <paramref name="index"/> starts processing (vhost-user SET_VRING_BASE); returns null or why it was refused.</summary>
    public string? SetQueueBase(int index, uint next)
    {
        if (NoSuchQueue(index) is { } missing)
            return missing;
        if (next > ushort.MaxValue)
            return $"ring base {next} does not fit a split ring's 16-bit index";
        lock (_lock)
            _rings[index].Base = (ushort)next;
        return null;
    }

    /// <summary>Enables or disables queue <paramref name="index"/>; enabled and started, it runs.</summary>
    public void EnableQueue(int index, bool enabled)
    {
        if (NoSuchQueue(index) is not null)
            return;
        ChangeRing(index, ring => ring.Enabled = enabled);
    }

    /// <summary>
    /// Starts queue <paramref name="index"/> (vhost-user: its kick fd arrived); it runs once it is
    /// also enabled, sized and addressed and memory is there, and then looks at what is already available.
    /// </summary>
    public void StartQueue(int index)
    {
        if (NoSuchQueue(index) is not null)
            return;
        ChangeRing(index, ring => ring.Started = true);
    }

    /// <summary>
    /// Sizes, addresses and starts queue <paramref name="index"/> at once, as a simple transport
    /// (or a test) does; returns null or why the rings were refused.
    /// </summary>
    public string? ConfigureQueue(int index, int size, GuestAddress descriptors, GuestAddress avail, GuestAddress used, ushort lastAvail)
    {
        if (NoSuchQueue(index) is { } missing)
            return missing;
        lock (_lock)
        {
            // Validate against the memory there now, so a bad ring is refused here, not when it starts.
            if (new DeviceQueue().Configure(_memory, size, descriptors, avail, used, lastAvail, AckedFeatures) is { } error)
                return error;
        }

        ChangeRing(index, ring =>
        {
            _queues[index].Unconfigure();
            (ring.Size, ring.Base, ring.Enabled) = (size, lastAvail, true);
            (ring.Descriptors, ring.Avail, ring.Used, ring.HasAddresses) = (descriptors, avail, used, true);
        });
        return null;
    }

    /// <summary>Stops queue <paramref name="index"/> (vhost-user GET_VRING_BASE) and returns the next available index to process. When both queues are stopped the agent's session ends.</summary>
    public ushort StopQueue(int index)
    {
        if (NoSuchQueue(index) is not null)
            return 0;
        lock (_lock)
        {
            var ring = _rings[index];
            var queue = _queues[index];
            if (queue.IsReady)
            {
                ring.Base = queue.LastAvail;
                queue.Unconfigure();
                if (!_queues[0].IsReady && !_queues[1].IsReady)
                    CloseSession();
            }

            ring.Started = false;
            return ring.Base;
        }
    }

    /// <summary>Whether queue <paramref name="index"/> is being processed.</summary>
    public bool IsRunning(int index)
    {
        lock (_lock)
            return (uint)index < 2 && _queues[index].IsReady && BrokenReason is null;
    }

    /// <summary>
    /// Device reset (virtio status 0, vhost-user RESET_DEVICE or disconnect): queues stop, the
    /// agent's session ends (subscriptions, pending delayed responses, negotiated versions: the next
    /// driver starts from scratch, reference 4.7), and a broken device is healthy again.
    /// </summary>
    public void Reset()
    {
        lock (_lock)
        {
            if (_session is not null || BrokenReason is not null)
                VirtioMetrics.Resets.Add(1, new KeyValuePair<string, object?>(VirtioMetrics.AgentTag, AgentName));
            for (var i = 0; i < 2; i++)
            {
                _queues[i].Unconfigure();
                _rings[i].Reset();
            }

            CloseSession();
            AckedFeatures = 0;
            BrokenReason = null;
        }
    }

    // The agent's name now (a reload may rename it), for metric labels.
    private string AgentName => _agentId <= _platform.Model.Agents.Count ? _platform.Model.Agents[_agentId - 1].Name : "unknown";

    private static string? NoSuchQueue(int index) =>
        (uint)index < 2 ? null : $"the virtio-scmi device has 2 queues; there is no queue {index}";

    // Caller holds _lock. Starts queue index if everything it needs is there; true when it just started.
    private bool TryActivate(int index)
    {
        var ring = _rings[index];
        var queue = _queues[index];
        if (!ring.Started || !ring.Enabled || queue.IsReady || BrokenReason is not null)
            return false;
        if (!ring.IsComplete || _memory.Regions.Count == 0)
        {
            LogNotReady(Name, index);
            return false;
        }

        if (queue.Configure(_memory, ring.Size, ring.Descriptors, ring.Avail, ring.Used, ring.Base, AckedFeatures) is { } error)
        {
            Break($"ring {index} cannot start: {error}");
            return false;
        }

        if (index == CommandQueue)
        {
            _commandAtUsed = new long[ring.Size];
            _readUsed = queue.NextUsed;
        }

        if (_session is null)
            OpenSession();
        return true;
    }

    // One change to a ring's configuration (control plane only); if it completes what the ring
    // waited for, the queue starts and looks at what the driver already made available.
    private void ChangeRing(int index, Action<Vring> change)
    {
        bool started;
        lock (_lock)
        {
            change(_rings[index]);
            started = TryActivate(index);
        }

        if (started)
            Kick(index);
    }

    // Outside _lock: a queue that just started looks at what the driver already made available.
    private void KickStarted(ReadOnlySpan<bool> started)
    {
        for (var i = 0; i < started.Length; i++)
        {
            if (started[i])
                Kick(i);
        }
    }

    /// <summary>The driver notified queue <paramref name="index"/>: process what it made available.</summary>
    public void Kick(int index)
    {
        bool notify;
        lock (_lock)
        {
            if ((uint)index >= 2 || !_queues[index].IsReady || BrokenReason is not null)
            {
                LogIgnoredKick(Name, index);
                return;
            }

            notify = index == CommandQueue ? ProcessCommands() : FlushEvents();
        }

        if (notify)
            _notifyDriver(index);
    }

    // Caller holds _lock.
    private bool ProcessCommands()
    {
        var queue = _queues[CommandQueue];
        var answered = CommandsAnswered;
        do
        {
            VirtqueueError error;
            while (queue.TryPop(out var chain, out error))
                Answer(queue, chain);
            // One used-index store per batch: the driver reads it when called, after the batch.
            queue.PublishUsed();
            if (error != VirtqueueError.None)
            {
                MarkBroken(CommandQueue, error, queue.LastAvail);
                return false;
            }
        }
        while (queue.RearmAndCheck());
        if (CommandsAnswered != answered)
            VirtioMetrics.Commands.Add(CommandsAnswered - answered); // once per batch: a listener costs per call
        return queue.ShouldNotifyDriver();
    }

    /// <summary>Command buffers kept without a reply because an injected fault dropped their command.</summary>
    public long WithheldReplies { get; private set; }

    // Caller holds _lock.
    private void Answer(DeviceQueue queue, DescriptorChain chain)
    {
        var session = _session!;
        var length = chain.CopyReadable(_request);
        uint used;
        if (length < ScmiHeader.Size)
        {
            LogShortCommand(Name, chain.Head, length);
            used = 0;
        }
        else
        {
            int replyLength;
            if (chain.ReadableLength > _request.Length)
            {
                // Larger than any SCMI command the channel allows (reference 4.4): answer like the
                // stream transport does, from the header alone.
                LogOversized(Name, chain.ReadableLength);
                replyLength = ScmiPlatform.AnswerOversized(BinaryPrimitives.ReadUInt32LittleEndian(_request), _reply);
            }
            else
            {
                replyLength = _platform.Handle(session, _request.AsSpan(0, length), _reply);
                if (replyLength == 0)
                {
                    // An injected fault dropped it (vscmi inject drop): the buffer is kept, never
                    // used, so the driver times out; a device reset forgets it with the queue.
                    WithheldReplies++;
                    return;
                }
            }

            if (chain.TryWrite(_reply.AsSpan(0, replyLength)))
            {
                used = (uint)replyLength;
            }
            else if (chain.WritableLength >= 8)
            {
                // The reply does not fit the driver's buffer: status-only COMMS_ERROR, never past the buffer (reference 4.2 #4).
                LogReplyTooLarge(Name, replyLength, chain.WritableLength);
                BinaryPrimitives.WriteInt32LittleEndian(_reply.AsSpan(4), (int)ScmiStatus.COMMS_ERROR);
                chain.TryWrite(_reply.AsSpan(0, 8));
                used = 8;
            }
            else
            {
                LogReplyTooLarge(Name, replyLength, chain.WritableLength);
                used = 0;
            }
        }

        queue.AddUsed(chain.Head, used, publish: false);
        if (_commandAtUsed.Length == queue.Size)
            _commandAtUsed[(ushort)(queue.NextUsed - 1) % queue.Size] = session.CommandsHandled;
        CommandsAnswered++;
    }

    // Caller holds _lock. Returns whether the driver should be interrupted.
    private bool FlushEvents()
    {
        var queue = _queues[EventQueue];
        if (!queue.IsReady || BrokenReason is not null || _session is not { } session)
            return false;
        var delivered = false;
        // Messages stay in the session's outbox until a buffer takes them: one queue, drained here.
        while (session.Outbox.TryPeek(out var message))
        {
            if (!queue.TryPop(out var chain, out var error))
            {
                if (error != VirtqueueError.None)
                    MarkBroken(EventQueue, error, queue.LastAvail);
                else
                    VirtioMetrics.EventqStarved.Add(1, new KeyValuePair<string, object?>(VirtioMetrics.AgentTag, session.AgentName));
                break;
            }

            if (chain.ReadableLength > 0)
            {
                MarkBroken(EventQueue, VirtqueueError.ReadableAfterWritable, queue.LastAvail, "an eventq buffer is device-readable");
                return false;
            }

            session.Outbox.TryRead(out _);
            session.MessageDelivered(message);
            if (chain.TryWrite(message))
            {
                queue.AddUsed(chain.Head, (uint)message.Length);
                VirtioMetrics.Events.Add(1);
            }
            else
            {
                // VIRTIO 5.17: a buffer too small for a notification: the device may omit it.
                LogEventBufferTooSmall(Name, message.Length, chain.WritableLength);
                VirtioMetrics.EventsOmitted.Add(1);
                queue.AddUsed(chain.Head, 0);
            }

            delivered = true;
        }

        queue.RearmAndCheck();
        return delivered && queue.ShouldNotifyDriver();
    }

    /// <summary>Marks the device broken for a reason found outside the rings (a ring the frontend configured outside guest memory).</summary>
    public void Fail(string reason)
    {
        lock (_lock)
            Break(reason);
    }

    // Caller holds _lock.
    private void MarkBroken(int queue, VirtqueueError error, ushort position, string? detail = null) =>
        Break($"{(queue == CommandQueue ? "cmdq" : "eventq")}: {detail ?? error.ToString()} (at available entry {(ushort)(position - 1)})");

    // Caller holds _lock. The first reason stands; the queues are no longer touched until a reset.
    private void Break(string reason)
    {
        if (BrokenReason is not null)
            return;
        BrokenReason = reason;
        LogBroken(Name, reason);
        VirtioMetrics.BrokenDevices.Add(1, new KeyValuePair<string, object?>(VirtioMetrics.AgentTag, AgentName));
        Broken?.Invoke(reason);
    }

    // Caller holds _lock.
    private void OpenSession()
    {
        var hasP2A = (AckedFeatures & VirtioFeatures.VIRTIO_SCMI_F_P2A_CHANNELS) != 0;
        var session = _platform.OpenSession(_agentId, MaxPayload, hasP2A, transport: "virtio");
        _session = session;
        _reply = new byte[session.ReplyBufferSize];
        if (hasP2A)
        {
            session.GateDelayedResponses = true;
            session.DelayedResponseHeld = WatchReplies;
            session.OutboxReady = EventsArrived;
        }

        var features = VirtioFeatures.Describe(AckedFeatures);
        LogSessionOpened(Name, _agentId, features);
    }

    // The session's outbox got a message. Delivered on the producer's thread when this device is
    // free: a fan-out to many VMs then wakes none of their data-plane threads (on these machines a
    // thread's sleep and wake-up cost about 20 µs of CPU, the whole of a notification's cost:
    // docs/performance.md). Never waited for: the producer may hold the platform lock, and a
    // command on this device holds _lock while it waits for that one; so a busy device, or a
    // producer already inside this device (its own command, the reply watch), gets the wake-up.
    private void EventsArrived()
    {
        if (!_lock.IsHeldByCurrentThread && _lock.TryEnter())
        {
            var notify = false;
            Exception? failure = null;
            try
            {
                notify = _queues[EventQueue].IsReady && BrokenReason is null && FlushEvents();
            }
#pragma warning disable CA1031 // A bug here must break this device only, never the producer (another VM's command, a timer).
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
            finally
            {
                _lock.Exit();
            }

            if (failure is not null)
                Fault(failure, "the eventq flush");
            else if (notify)
                _notifyDriver(EventQueue);
            return;
        }

        if (EventsWaiting is { } wake)
            wake();
        else
            ThreadPool.UnsafeQueueUserWorkItem(static device => device.Guarded(() => device.Kick(EventQueue), "the eventq flush"), this, preferLocal: false);
    }

    // Caller holds _lock.
    private void CloseSession()
    {
        if (_session is not { } session)
            return;
        _session = null;
        _replyWatch?.Dispose();
        _replyWatch = null;
        _platform.CloseSession(session);
        session.OutboxReady = null;
        LogSessionClosed(Name);
    }

    // A delayed response started waiting for its reply (a platform timer's thread, or inside a
    // command on the data-plane thread): look at used_event until the driver has read the reply.
    private void WatchReplies()
    {
        lock (_lock)
        {
            if (_session is null || _replyWatch is not null)
                return;
            _heldSince = TimeProvider.System.GetTimestamp();
            _replyWatch = TimeProvider.System.CreateTimer(_ => Guarded(ReleaseDelayedResponses, "the delayed-response watch"), null, TimeSpan.Zero, ReplyWatchPeriod);
        }
    }

    /// <summary>
    /// A delayed response may reach the guest only after the driver has read its command's reply
    /// (DEN0056 orders them; Linux rejects a reply that comes after its delayed response). The two
    /// queues interrupt independently, so publishing the reply first is not enough. The driver's
    /// used_event says how far it has read the cmdq (Linux re-enables callbacks, writing
    /// used_event = last used index it handled, only after handling them), so a delayed response
    /// goes out once used_event has passed the used entry of its command's reply; without
    /// EVENT_IDX, after <see cref="ReplyGraceWithoutEventIdx"/>; in any case after <see cref="MaxReplyWait"/>.
    /// <code>
    ///   used ring:   ... [reply k-1] [reply k] [reply k+1] ...    NextUsed
    ///                                 ^ used_event = k+1: entries before k+1 were read → commands
    ///                                   up to _commandAtUsed[k] have their replies delivered
    /// </code>
    /// </summary>
    private void ReleaseDelayedResponses()
    {
        lock (_lock)
        {
            if (_session is not { } session || _replyWatch is null)
                return;
            var cmdq = _queues[CommandQueue];
            if (cmdq.TryReadUsedEvent(out var usedEvent) && _commandAtUsed.Length == cmdq.Size)
            {
                // Only a used_event inside (what we knew was read, what we published] means progress;
                // Linux parks it at 0 while it handles a batch, and an entry more than a ring
                // behind has left _commandAtUsed.
                var advance = (ushort)(usedEvent - _readUsed);
                var published = (ushort)(cmdq.NextUsed - _readUsed);
                if (advance != 0 && advance <= published && (ushort)(cmdq.NextUsed - usedEvent) < cmdq.Size)
                {
                    _readUsed = usedEvent;
                    session.RepliesDelivered(_commandAtUsed[(ushort)(usedEvent - 1) % cmdq.Size]);
                }
            }

            var waited = TimeProvider.System.GetElapsedTime(_heldSince);
            if (waited >= MaxReplyWait || (!cmdq.EventIdx && waited >= ReplyGraceWithoutEventIdx) || !cmdq.IsReady)
            {
                if (cmdq.EventIdx && waited >= MaxReplyWait)
                    LogReplyWaitExpired(Name, session.HeldDelayedResponses);
                session.ReleaseHeldDelayedResponses();
            }

            if (session.HeldDelayedResponses == 0)
            {
                _replyWatch.Dispose();
                _replyWatch = null;
            }
            else if (waited >= MaxReplyWait)
            {
                _heldSince = TimeProvider.System.GetTimestamp();
            }
        }
    }

    // A timer's callback must not throw (the process would end): a bug there breaks this device only.
    private void Guarded(Action action, string where)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // See above.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fault(e, where);
        }
    }

    private void Fault(Exception e, string where)
    {
        LogFault(e, Name, where);
        try
        {
            Fail($"internal error in {where}: {e.GetType().Name}: {e.Message}");
        }
#pragma warning disable CA1031 // Marking it broken failed too (a logger, the err eventfd): nothing more to do here.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <inheritdoc />
    public void Dispose() => Reset();

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "{Device}: driver broke the virtqueue rules, device marked broken until reset: {Reason}")]
    private partial void LogBroken(string device, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "{Device}: kick on queue {Queue} ignored (not running)")]
    private partial void LogIgnoredKick(string device, int queue);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "{Device}: command chain {Head} has {Length} readable bytes, less than a header; answered with an empty reply")]
    private partial void LogShortCommand(string device, ushort head, int length);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "{Device}: a {Length}-byte command exceeds the channel; answered PROTOCOL_ERROR")]
    private partial void LogOversized(string device, long length);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "{Device}: a {Length}-byte reply does not fit the driver's {Writable}-byte buffer; answered COMMS_ERROR")]
    private partial void LogReplyTooLarge(string device, int length, long writable);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Device}: a {Length}-byte event does not fit the driver's {Writable}-byte eventq buffer; omitted")]
    private partial void LogEventBufferTooSmall(string device, int length, long writable);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "{Device}: agent {AgentId} session opened (features {Features})")]
    private partial void LogSessionOpened(string device, int agentId, string features);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "{Device}: session closed")]
    private partial void LogSessionClosed(string device);

    [LoggerMessage(EventId = 309, Level = LogLevel.Error, Message = "{Device}: {Where} failed inside vscmi (a bug); this device is marked broken until reset")]
    private partial void LogFault(Exception exception, string device, string where);

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "{Device}: ring {Ring} started before its size, addresses or guest memory were set; it starts when they are")]
    private partial void LogNotReady(string device, int ring);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "{Device}: the driver did not show it read a reply within the bound (used_event unchanged); {Held} delayed response(s) sent anyway")]
    private partial void LogReplyWaitExpired(string device, int held);
}
