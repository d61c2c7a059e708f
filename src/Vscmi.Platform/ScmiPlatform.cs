using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform.Handlers;
using Vscmi.Platform.Model;
using Vscmi.Platform.Telemetry;
using System.Diagnostics;

namespace Vscmi.Platform;

/// <summary>
/// The SCMI platform: the state of every resource of a <see cref="DeviceModel"/>, and the
/// dispatcher that turns one command into one reply. Transports call <see cref="Handle"/> with a
/// request and a reply buffer; nothing on that path allocates once the session exists.
/// </summary>
public sealed partial class ScmiPlatform
{
    private readonly MessageTable _table;
    private readonly List<AgentSession> _sessions = [];
    private readonly HashSet<ITimer> _timers = [];  // pending asynchronous completions, kept alive until they fire
    private ITimer? _sampler;
    private readonly ILogger _logger;
    private readonly long _startTimestamp;
    private readonly CommandRateLimiter _rates;

    /// <summary>Builds the platform state from a model.</summary>
    public ScmiPlatform(DeviceModel model, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        Time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _startTimestamp = Time.GetTimestamp();
        _rates = new CommandRateLimiter(model, Time.TimestampFrequency);
        _hostFiles = new Host.HostFiles(_logger);
        _state = new PlatformState(model, _hostFiles);
        _host = new Host.HostBackends(model, _state, _hostFiles);
        // A protocol is served when the model has something for it (Linux fails Pin control with no pins).
        List<ProtocolHandler> handlers =
        [
            new BaseHandler(this), new PowerHandler(this), new SystemPowerHandler(this), new PerfHandler(this),
            new ClockHandler(this), new SensorHandler(this), new ResetHandler(this), new VoltageHandler(this), new PowercapHandler(this),
            new VscmiHandler(this),
        ];
        if (model.Pinctrl is not null)
            handlers.Add(new PinctrlHandler(this));
        // Only the protocols the presented release has (SCMI 2.0: no voltage, power capping or pin control).
        handlers.RemoveAll(h => model.Release.VersionOf(h.Id) is null);
        _table = new MessageTable(handlers);
        Faults = new Injection.FaultInjector(this);
    }

    private readonly Host.HostFiles _hostFiles;
    private volatile Host.HostBackends _host = null!;
    private volatile DeviceModel _model = null!;
    private volatile PlatformState _state = null!;

    /// <summary>The model in force: the one the platform was built from, or the last one <see cref="Reload"/> applied.</summary>
    public DeviceModel Model
    {
        get => _model;
        private set
        {
            _model = value;
            _rates.Configure(value);
        }
    }

    /// <summary>The clock sensor sources read.</summary>
    public TimeProvider Time { get; }

    /// <summary>Time since the platform started (what sensor sources see).</summary>
    public TimeSpan Uptime => Time.GetElapsedTime(_startTimestamp);

    /// <summary>The mutable state of every resource. Guarded by <see cref="Sync"/>.</summary>
    internal PlatformState State
    {
        get => _state;
        private set => _state = value;
    }

    /// <summary>
    /// Serialises handlers. Each holds it for microseconds (no I/O but a sensor file read), so one
    /// agent never waits long on another.
    /// </summary>
    internal Lock Sync { get; } = new();

    private long _lockContentions;

    /// <summary>
    /// Commands that found the platform's lock held by another (another agent's command, a timer,
    /// the control plane) and waited for it, since the platform started.
    /// </summary>
    public long LockContentions => Volatile.Read(ref _lockContentions);

    /// <summary>The protocols served, Base first.</summary>
    public IEnumerable<ScmiProtocolId> Protocols => _table.Protocols;

    /// <summary>Opens a channel for an agent (1-based id).</summary>
    /// <param name="agentId">The agent, 1..number of agents in the model.</param>
    /// <param name="maxPayload">The channel's maximum payload in bytes (128 for Linux's virtio transport).</param>
    /// <param name="hasP2A">Whether the channel carries notifications and delayed responses.</param>
    /// <param name="transport">The kind of channel, a metrics label: <c>stream</c> or <c>virtio</c>.</param>
    public AgentSession OpenSession(int agentId, int maxPayload = 128, bool hasP2A = true, string transport = "stream")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(agentId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(agentId, Model.Agents.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayload, 16);
        ArgumentNullException.ThrowIfNull(transport);
        var session = new AgentSession(this, agentId, maxPayload, hasP2A, transport, _table.Count);
        lock (Sync)
        {
            _sessions.Add(session);
            if (WithheldFor(session.AgentName))
                session.Withhold(true);
        }
        PlatformMetrics.Connects.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.AgentTag, session.AgentName), new KeyValuePair<string, object?>(PlatformMetrics.TransportTag, transport));
        return session;
    }

    /// <summary>Faults injected into commands (<c>vscmi inject</c>; docs/scenarios.md).</summary>
    public Injection.FaultInjector Faults { get; }

    /// <summary>The live message trace: subscribe to see every message in and out (<c>vscmi trace</c>).</summary>
    public TraceHub Trace { get; } = new();

    // Counts of sessions that closed, by agent id, so an agent's totals survive its reconnects.
    private readonly Dictionary<int, long[]> _closedCounts = [];

    // Sessions closed, by agent id: a close and a reconnect between two looks still shows.
    private readonly Dictionary<int, long> _sessionsClosed = [];

    /// <summary>
    /// How many of an agent's sessions (channels) have closed since the platform started: grows
    /// at every close, so a watcher that polls sees a reconnect it polled too slowly to see
    /// (<c>vscmi scenario</c>'s <c>stays_connected</c>).
    /// </summary>
    public long SessionsClosed(int agentId)
    {
        lock (Sync)
            return _sessionsClosed.GetValueOrDefault(agentId);
    }

    /// <summary>The open sessions now (a copy).</summary>
    public IReadOnlyList<AgentSession> OpenSessions()
    {
        lock (Sync)
            return [.. _sessions];
    }

    /// <summary>
    /// Commands answered so far by each agent, closed sessions included: per agent, a count per
    /// (command, status) slot (<see cref="CountedMessage"/> names a slot's command).
    /// </summary>
    internal IEnumerable<(string Agent, long[] Counts)> MessageCountsByAgent()
    {
        Dictionary<int, long[]> totals = [];
        lock (Sync)
        {
            foreach (var (agent, counts) in _closedCounts)
                totals[agent] = (long[])counts.Clone();
            foreach (var session in _sessions)
            {
                if (!totals.TryGetValue(session.AgentId, out var sum))
                    totals[session.AgentId] = sum = new long[session.MessageCounts.Length];
                for (var i = 0; i < sum.Length; i++)
                    sum[i] += Volatile.Read(ref session.MessageCounts[i]);
            }
        }

        var agents = Model.Agents;
        return totals.Where(t => t.Key <= agents.Count).Select(t => (agents[t.Key - 1].Name, t.Value));
    }

    /// <summary>The protocol's and message's names for a command slot of the counts; the last slot is "unknown".</summary>
    internal (string Protocol, string Message) CountedMessage(int index) =>
        index < _table.Count ? (_table.At(index).Protocol.Spec.ShortName, _table.At(index).Spec.Name) : ("unknown", "unknown");

    /// <summary>The resource state as a state file's bytes (JSON and a checksum line; docs/operations.md).</summary>
    /// <param name="daemon">Writes the daemon's own part of the file (a "daemon" object), or null.</param>
    public byte[] SaveState(Action<System.Text.Json.Utf8JsonWriter>? daemon = null)
    {
        lock (Sync)
            return Vscmi.Platform.State.StateFile.Write(Model, State, daemon);
    }

    /// <summary>
    /// A VM that is gone for good (<c>vscmi ctl vm remove</c>): its agent's requests and votes go
    /// back to the model's defaults, as BASE_RESET_AGENT_CONFIGURATION would do (permissions stay),
    /// so clocks, power domains and performance levels it asked for no longer count.
    /// </summary>
    public void ReleaseAgent(int agentId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(agentId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(agentId, Model.Agents.Count);
        lock (Sync)
            ((BaseHandler)_table.Handler((byte)ScmiProtocolId.BASE)!).ResetAgent(agentId, resetPermissions: false);
    }

    /// <summary>
    /// Replaces the model in force while agents are connected (a live reload), when
    /// <see cref="ModelChanges.Compare"/> allows it: the state in force is carried over (rates,
    /// levels, votes, permissions...; sensors whose description did not change keep their source),
    /// and every command from here on sees the new model. Nothing changes when it is refused, or
    /// when the state in force does not fit the new model (a level no longer among the OPPs).
    /// </summary>
    /// <returns>What changed, or the refusal.</returns>
    public ModelChanges Reload(DeviceModel next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var changes = ReloadLocked(next);
        PlatformMetrics.Reloads.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.OutcomeTag, changes.Refusal is not null ? "refused" : changes.Changes.Count == 0 ? "unchanged" : "applied"));
        if (changes.Refusal is null && changes.Changes.Count > 0 && HasHostResources)
            _ = Task.Run(() => RefreshHost(force: true)); // the new model's host resources, read off the lock (and off the caller: a hung sysfs read must not hang a reload)
        return changes;
    }

    private ModelChanges ReloadLocked(DeviceModel next)
    {
        lock (Sync)
        {
            var connected = _sessions.Select(s => s.AgentId).ToHashSet();
            var changes = ModelChanges.Compare(Model, next, connected);
            if (changes.Refusal is not null || changes.Changes.Count == 0)
                return changes;
            var state = new PlatformState(next, _hostFiles);
            var carried = Vscmi.Platform.State.StateFile.Write(Model, State);
            if (Vscmi.Platform.State.StateFile.TryRestore(next, state, carried, transfer: true) is { } misfit)
                return changes with { Refusal = $"the state in force does not fit the new model: {misfit}" };
            for (var i = 0; i < next.Sensors.Count; i++)
            {
                // A sensor described as before keeps its source (a random walk where it was) and last sample.
                if (next.Sensors[i].DescribesTheSameAs(Model.Sensors[i]))
                    state.Sensors[i].Source = OverrideSource.Beneath(State.Sensors[i].Source);
                state.Sensors[i].LastSample = State.Sensors[i].LastSample;
            }

            var previous = State;
            Model = next;
            State = state;
            // The host backends find the model's own sources (an injected override hides a host
            // sensor, which must still be read); then the overrides in force go back on top, over
            // the new source where the description changed: an injection outlives a reload as
            // `vscmi inject list` says, and its removal uncovers the new source.
            Host = new Host.HostBackends(next, state, _hostFiles);
            for (var i = 0; i < next.Sensors.Count; i++)
            {
                if (previous.Sensors[i].Source is OverrideSource held)
                    state.Sensors[i].Source = held.Over(state.Sensors[i].Source);
            }

            return changes;
        }
    }

    /// <summary>The host resources behind the model in force (docs/host-backends.md).</summary>
    internal Host.HostBackends Host
    {
        get => _host;
        private set => _host = value;
    }

    /// <summary>Whether the model has resources backed by the host (sysfs, debugfs).</summary>
    public bool HasHostResources => Host.Any;

    /// <summary>
    /// Reads the host resources behind the model now (sensors whose update interval has passed, or
    /// all with <paramref name="force"/>) and brings the platform state to what the host reports.
    /// The reads happen off the dispatch lock; <c>vscmi serve</c> calls it every sampling period.
    /// </summary>
    /// <returns>False when a refresh was already running (a hung sysfs read): this one was skipped.</returns>
    public bool RefreshHost(bool force = false)
    {
        // One refresh at a time: a read that hangs (a sysfs attribute whose driver is stuck) must
        // not pile up a blocked thread-pool thread every period; agents keep the last values.
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            if (Interlocked.Exchange(ref _refreshStuckLogged, 1) == 0)
                LogHostRefreshStuck();
            return false;
        }

        try
        {
            Host.Refresh(this, force);
            Interlocked.Exchange(ref _refreshStuckLogged, 0);
            return true;
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private int _refreshing;
    private int _refreshStuckLogged;

    /// <summary>
    /// Restores the resource state from a state file's bytes; null when it was applied, otherwise
    /// why it was refused (torn, altered, another model, a value out of range), with nothing changed.
    /// </summary>
    public string? RestoreState(ReadOnlySpan<byte> file)
    {
        lock (Sync)
            return Vscmi.Platform.State.StateFile.TryRestore(Model, State, file);
    }

    /// <summary>
    /// What each open session is doing right now, for operators (the control socket's status):
    /// agent, whether it has a P2A path, commands handled, notifications waiting and dropped.
    /// </summary>
    public IReadOnlyList<SessionStatus> SessionStatuses()
    {
        lock (Sync)
        {
            return [.. _sessions.Select(s => new SessionStatus(s.AgentId, s.AgentName, s.HasP2A, s.CommandsHandled,
                s.Outbox.CanCount ? s.Outbox.Count : 0, s.DroppedNotifications))];
        }
    }

    /// <summary>Forgets a channel that closed: it gets no more notifications.</summary>
    public void CloseSession(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (Sync)
        {
            if (_sessions.Remove(session))
            {
                _sessionsClosed[session.AgentId] = _sessionsClosed.GetValueOrDefault(session.AgentId) + 1;
                if (!_closedCounts.TryGetValue(session.AgentId, out var sum))
                    _closedCounts[session.AgentId] = sum = new long[session.MessageCounts.Length];
                for (var i = 0; i < sum.Length; i++)
                    sum[i] += session.MessageCounts[i];
            }
        }

        PlatformMetrics.Disconnects.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.AgentTag, session.AgentName), new KeyValuePair<string, object?>(PlatformMetrics.TransportTag, session.Transport));
        session.CloseOutbox();
    }

    /// <summary>
    /// Sends a notification to every session subscribed to (<paramref name="notifyCommand"/>,
    /// <paramref name="resource"/>) — whichever agent caused it; the payload's agent_id says who.
    /// Caller holds <see cref="Sync"/>; nothing here blocks.
    /// </summary>
    /// <returns>How many sessions it was queued for.</returns>
    /// <remarks>
    /// The payload is encoded once, at the first subscriber, with the layout of the version the
    /// model serves (an older one leaves out what it lacks, such as SYSTEM_POWER_STATE_NOTIFIER's
    /// timeout before v2.0). Notifications are structs: one nobody subscribed to allocates nothing,
    /// which keeps commands that may notify (CLOCK_RATE_SET) on the zero-allocation path.
    /// </remarks>
    internal int Notify<TNotification>(byte notifyCommand, uint resource, in TNotification notification, int onlyAgent = 0)
        where TNotification : struct, IScmiNotification
    {
        var protocol = notification.Protocol;
        var kind = ResourceKindOf(protocol);
        byte[]? payload = null;
        byte[]? sameIds = null, otherIds = null;
        var otherLocal = 0u;
        var resourceOffset = -1;
        var sent = 0;
        foreach (var session in _sessions)
        {
            if (!session.HasP2A || (onlyAgent != 0 && session.AgentId != onlyAgent))
                continue;
            // Subscriptions and payloads speak the recipient's own ids; the description says which
            // payload word names the resource.
            var local = resource;
            if (kind is { } k && !session.TryLocal(k, (int)resource, out local))
                continue;
            if (!session.IsSubscribed((byte)protocol, notifyCommand, local))
                continue;
            if (payload is null)
            {
                var layout = SpecOf(protocol).FindNotification(notification.NotificationId)?.Payload
                    ?? throw new InvalidOperationException($"{protocol} notification 0x{notification.NotificationId:X2} does not exist in the version served");
                payload = LayoutCodec.EncodeToArray(layout, notification.ToFields());
                // Where the resource id sits, from the notification's description (-1: none).
                resourceOffset = kind is null ? -1 : layout.ResourceIdOffset;
            }

            // One message per recipient view, not per recipient: sessions that number the resource
            // alike share the bytes, which nobody writes once queued (transports copy them out).
            // Kept: the platform's own numbering (every agent that sees all resources) and the last other.
            ref var message = ref local == resource ? ref sameIds : ref otherIds;
            if (message is null || (local != resource && local != otherLocal))
            {
                message = new byte[4 + payload.Length];
                BinaryPrimitives.WriteUInt32LittleEndian(message, new ScmiHeader(notification.NotificationId, ScmiMessageType.NOTIFICATION, (byte)protocol, 0).Value);
                payload.CopyTo(message.AsSpan(4));
                if (resourceOffset >= 0)
                    BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4 + resourceOffset), local);
                if (local != resource)
                    otherLocal = local;
            }

            session.EnqueueNotification(message);
            sent++;
        }

        return sent;
    }

    /// <summary>Forgets the subscriptions and negotiated versions of every open channel of an agent. Caller holds <see cref="Sync"/>.</summary>
    internal void ResetSessionsOf(int agentId)
    {
        foreach (var session in _sessions)
        {
            if (session.AgentId == agentId)
                session.Reset();
        }
    }

    /// <summary>How many resources of a kind the model has.</summary>
    internal int ResourceCount(ResourceKind kind) => kind switch
    {
        ResourceKind.Perf => Model.PerfDomains.Count,
        ResourceKind.Clock => Model.Clocks.Count,
        ResourceKind.Sensor => Model.Sensors.Count,
        ResourceKind.PowerDomain => Model.PowerDomains.Count,
        ResourceKind.ResetDomain => Model.ResetDomains.Count,
        ResourceKind.VoltageDomain => Model.VoltageDomains.Count,
        ResourceKind.Powercap => Model.PowercapDomains.Count,
        ResourceKind.Pin => Model.Pinctrl?.Pins.Count ?? 0,
        ResourceKind.PinGroup => Model.Pinctrl?.Groups.Count ?? 0,
        ResourceKind.PinFunction => Model.Pinctrl?.Functions.Count ?? 0,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The kinds of resource a protocol's commands name (what BASE_SET_PROTOCOL_PERMISSIONS can deny on a device).</summary>
    internal static ResourceKind[] ResourceKindsOf(Vscmi.Protocol.ScmiProtocolId protocol) => protocol switch
    {
        Vscmi.Protocol.ScmiProtocolId.PINCTRL => [ResourceKind.Pin, ResourceKind.PinGroup, ResourceKind.PinFunction],
        _ => ResourceKindOf(protocol) is { } kind ? [kind] : [],
    };

    /// <summary>The resource kind a protocol's notifications are about (System power has none).</summary>
    internal static ResourceKind? ResourceKindOf(Vscmi.Protocol.ScmiProtocolId protocol) => protocol switch
    {
        Vscmi.Protocol.ScmiProtocolId.POWER => ResourceKind.PowerDomain,
        Vscmi.Protocol.ScmiProtocolId.PERF => ResourceKind.Perf,
        Vscmi.Protocol.ScmiProtocolId.CLOCK => ResourceKind.Clock,
        Vscmi.Protocol.ScmiProtocolId.SENSOR => ResourceKind.Sensor,
        Vscmi.Protocol.ScmiProtocolId.RESET => ResourceKind.ResetDomain,
        Vscmi.Protocol.ScmiProtocolId.VOLTAGE => ResourceKind.VoltageDomain,
        Vscmi.Protocol.ScmiProtocolId.POWERCAP => ResourceKind.Powercap,
        _ => null,
    };

    /// <summary>
    /// Answers a command longer than the channel allows, which the transport could not hand over
    /// whole: the header echoed with PROTOCOL_ERROR (as <see cref="Handle"/> answers a payload past
    /// the channel's limit). Returns the reply length, 8.
    /// </summary>
    public static int AnswerOversized(uint header, Span<byte> reply)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(reply, header);
        BinaryPrimitives.WriteInt32LittleEndian(reply[4..], (int)ScmiStatus.PROTOCOL_ERROR);
        return 8;
    }

    /// <summary>
    /// Answers one command. <paramref name="reply"/> needs <see cref="AgentSession.ReplyBufferSize"/>
    /// bytes. Returns the reply length: header, status, and return values only on SUCCESS; 0 when the
    /// message is too short to carry a header (nothing to answer), or when an injected fault drops
    /// it (<see cref="Faults"/>: the transport sends nothing).
    /// </summary>
    public int Handle(AgentSession session, ReadOnlySpan<byte> message, Span<byte> reply)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (message.Length < ScmiHeader.Size)
            return 0;
        if (reply.Length < 8)
            throw new ArgumentException("the reply buffer needs at least 8 bytes", nameof(reply));

        session.BeginCommand();
        session.SetHandling(true);
        // Timed only when someone looks: a histogram listener or a trace subscriber.
        var timed = PlatformMetrics.ReplyDuration.Enabled || Trace.Active;
        var started = timed ? Stopwatch.GetTimestamp() : 0;
        // The response echoes the command header unchanged: Linux matches replies by token (reference 1.1).
        var word = BinaryPrimitives.ReadUInt32LittleEndian(message);
        BinaryPrimitives.WriteUInt32LittleEndian(reply, word);
        var header = ScmiHeader.FromValueUnchecked(word);
        var payload = message[ScmiHeader.Size..];
        if (!_rates.TryAdmit(session.AgentId, Time))
            return AnswerBusy(session, header, message, reply, timed ? started : -1);
        Injection.FaultSpec? after = null;
        if (Faults.Active && Faults.Apply(session.AgentName, header, ResourceOf(header, payload), out var delay) is { } fault)
        {
            switch (fault.Kind)
            {
                case Injection.FaultKind.Drop:
                    session.CountUnanswered(_table.Find(header.ProtocolId, header.MessageId)?.Index ?? _table.Count);
                    session.SetHandling(false);
                    if (Trace.Active)
                        PublishTrace(TraceHub.UnixTimeNs(Time), session, TraceDirection.In, message, 0);
                    return 0; // no reply: the agent times out
                case Injection.FaultKind.Status:
                    BinaryPrimitives.WriteInt32LittleEndian(reply[4..], (int)fault.Status);
                    session.Count(_table.Find(header.ProtocolId, header.MessageId)?.Index ?? _table.Count, fault.Status);
                    session.SetHandling(false);
                    if (timed)
                        Observe(session, message, reply[..8], _table.Find(header.ProtocolId, header.MessageId), Stopwatch.GetElapsedTime(started));
                    return 8;
                case Injection.FaultKind.Delay or Injection.FaultKind.Late:
                    // A delay holds this agent's channel only: each session has its own transport thread.
                    Thread.Sleep(delay);
                    break;
                default:
                    after = fault; // the reply is handled, then altered
                    break;
            }
        }
        var writer = new ScmiWriter(reply.Slice(8, Math.Min(reply.Length - 8, session.MaxPayload)));
        var status = Dispatch(session, header, word, payload, ref writer, out var entry);
        BinaryPrimitives.WriteInt32LittleEndian(reply[4..], (int)status);
        var length = status == ScmiStatus.SUCCESS ? 8 + writer.Position : 8;
        if (after is not null)
            length = Alter(after, reply, length);
        session.Count(entry?.Index ?? _table.Count, status);
        session.SetHandling(false);
        if (_trackChanges && status == ScmiStatus.SUCCESS && entry is { IsChange: true })
            RecordChange(session, entry, payload);
        if (timed)
            Observe(session, message, reply[..length], entry, Stopwatch.GetElapsedTime(started));
        return length;
    }

    /// <summary>
    /// The agent is over its command rate: BUSY, the status SCMI gives for "try again later"
    /// (reference 1.2), counted under the command and as a limit hit; logged at the first refusal and
    /// then once per <see cref="LimitReportInterval"/> with the number refused since.
    /// </summary>
    private int AnswerBusy(AgentSession session, ScmiHeader header, ReadOnlySpan<byte> message, Span<byte> reply, long started)
    {
        BinaryPrimitives.WriteInt32LittleEndian(reply[4..], (int)ScmiStatus.BUSY);
        var entry = _table.Find(header.ProtocolId, header.MessageId);
        session.Count(entry?.Index ?? _table.Count, ScmiStatus.BUSY);
        session.SetHandling(false);
        PlatformMetrics.LimitHits.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.AgentTag, session.AgentName), new KeyValuePair<string, object?>(PlatformMetrics.LimitTag, "commands"));
        var now = Time.GetTimestamp();
        if (_rates.Refusals.ShouldReport(session.AgentId, now, (long)(LimitReportInterval.TotalSeconds * Time.TimestampFrequency), out var refused))
        {
            var agent = Model.Agents[session.AgentId - 1]; // the limits in force are the model's
            LogCommandRateExceeded(session.AgentName, agent.CommandsPerSecond, agent.CommandBurst, refused);
        }

        if (started >= 0)
            Observe(session, message, reply[..8], entry, Stopwatch.GetElapsedTime(started));
        return 8;
    }

    /// <summary>
    /// Hands a message to the trace's subscribers; one that holds the agent's <c>trace_buffer_bytes</c>
    /// unread drops it, which is counted as a limit hit and logged once per interval.
    /// </summary>
    internal void PublishTrace(long unixTimeNs, AgentSession session, TraceDirection direction, ReadOnlySpan<byte> message, long latencyNs)
    {
        var agents = Model.Agents;
        var limit = session.AgentId <= agents.Count ? agents[session.AgentId - 1].TraceBufferBytes : AgentModel.DefaultTraceBufferBytes;
        if (!Trace.Publish(unixTimeNs, session, direction, message, latencyNs, limit))
            return;
        _traceLimits.Hit(session.AgentId);
        PlatformMetrics.LimitHits.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.AgentTag, session.AgentName), new KeyValuePair<string, object?>(PlatformMetrics.LimitTag, "trace_bytes"));
        if (_traceLimits.ShouldReport(session.AgentId, Time.GetTimestamp(), (long)(LimitReportInterval.TotalSeconds * Time.TimestampFrequency), out var since))
            LogTraceLimit(session.AgentName, limit, since);
    }

    private readonly LimitReports _traceLimits = new();

    /// <summary>How often a limit an agent keeps hitting is logged (with the count since the last line).</summary>
    public static readonly TimeSpan LimitReportInterval = TimeSpan.FromSeconds(10);

    /// <summary>Commands answered BUSY so far because the agent was over its <c>commands_per_second</c>.</summary>
    public long CommandsRefused(int agentId) => _rates.Refusals.Hits(agentId);

    private void Observe(AgentSession session, ReadOnlySpan<byte> message, ReadOnlySpan<byte> reply, MessageTable.Entry? entry, TimeSpan elapsed)
    {
        if (PlatformMetrics.ReplyDuration.Enabled)
        {
            var tags = new System.Diagnostics.TagList
            {
                { PlatformMetrics.AgentTag, session.AgentName },
                { PlatformMetrics.ProtocolTag, entry?.Protocol.Spec.ShortName ?? "unknown" },
            };
            PlatformMetrics.ReplyDuration.Record(elapsed.TotalSeconds, in tags);
        }

        if (Trace.Active)
        {
            // The command's time is when it arrived: the reply's less the time taken.
            var now = TraceHub.UnixTimeNs(Time);
            var latency = (long)(elapsed.Ticks * 100);
            PublishTrace(now - latency, session, TraceDirection.In, message, 0);
            PublishTrace(now, session, TraceDirection.Out, reply, latency);
        }
    }

    private ScmiStatus Dispatch(AgentSession session, ScmiHeader header, uint word, ReadOnlySpan<byte> payload, ref ScmiWriter writer, out MessageTable.Entry? found)
    {
        found = null;
        if (!ScmiHeader.TryFromValue(word, out _) || header.Type != ScmiMessageType.COMMAND)
        {
            LogMalformedHeader(session.AgentName, word);
            return ReportError(session, word, ScmiStatus.PROTOCOL_ERROR);
        }

        if (payload.Length > session.MaxPayload)
            return ScmiStatus.PROTOCOL_ERROR;
        var entry = _table.Find(header.ProtocolId, header.MessageId);
        if (entry is null || (entry.Protocol.TrustedOnly && !session.Trusted))
            return ScmiStatus.NOT_SUPPORTED; // a trusted-only protocol does not exist for other agents
        found = entry;

        try
        {
            LayoutCodec.Validate(entry.Spec.Request, payload);
        }
        catch (ScmiProtocolException e)
        {
            LogBadRequest(session.AgentName, entry.Spec.Name, e.Message);
            return ReportError(session, word, e.ToStatus());
        }

        // Device and protocol permissions (BASE_SET_DEVICE_PERMISSIONS, BASE_SET_PROTOCOL_PERMISSIONS):
        // a denied resource answers DENIED for every command naming it.
        // The description says where the request names its resource (NumberSpec.IsResourceId).
        if (entry.Spec.Request.ResourceIdOffset is var resourceOffset and >= 0 && ResourceKindOf((Vscmi.Protocol.ScmiProtocolId)header.ProtocolId) is { } kind
            && session.TryGlobal(kind, BinaryPrimitives.ReadUInt32LittleEndian(payload[resourceOffset..]), out var resource)
            && State.ResourceDenied(session.AgentId, kind, resource))
        {
            return ScmiStatus.DENIED;
        }

        var request = new ScmiRequest { Params = new ScmiReader(payload), Agent = session, Header = header };
        try
        {
            // Counted, not timed: a TryEnter that fails is the only cost, paid only when contended
            // (issue 18 measures whether VMs serialise on this lock: docs/performance.md).
            if (!Sync.TryEnter())
            {
                Interlocked.Increment(ref _lockContentions);
                Sync.Enter();
            }

            try
            {
                return entry.Handler(ref request, ref writer);
            }
            finally
            {
                Sync.Exit();
            }
        }
        catch (ScmiProtocolException e) when (e.Error == ScmiDecodeError.TooLarge)
        {
            // A reply that does not fit the channel: the status the virtio device uses (reference 4.2).
            LogReplyTooLarge(entry.Spec.Name, session.MaxPayload);
            return ScmiStatus.COMMS_ERROR;
        }
#pragma warning disable CA1031 // A bug in one handler must answer GENERIC_ERROR, never take the daemon down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHandlerFailed(e, entry.Spec.Name);
            return ReportError(session, word, ScmiStatus.GENERIC_ERROR);
        }
    }

    /// <summary>
    /// Tells BASE_NOTIFY_ERRORS subscribers that an agent's message failed: BASE_ERROR_EVENT with the
    /// agent, one report (non-fatal), the report being (header &lt;&lt; 32) | status. The reports'
    /// contents are implementation defined (reference 2.1, 6 #11); this is vscmi's.
    /// </summary>
    private ScmiStatus ReportError(AgentSession session, uint header, ScmiStatus status)
    {
        lock (Sync)
        {
            Notify((byte)BaseMessageId.BASE_NOTIFY_ERRORS, 0,
                new BaseMessages.BaseErrorEvent((uint)session.AgentId, Fatal: false, [BitField.Join(low: unchecked((uint)(int)status), high: header)]));
        }

        return status;
    }

    /// <summary>
    /// Runs the second half of an asynchronous command after <paramref name="delay"/>: the work runs
    /// under <see cref="Sync"/> and returns the delayed response's return values (after a SUCCESS
    /// status), or null when the agent asked for no delayed response. The command's reply has
    /// already gone; nothing waits on this.
    /// </summary>
    /// <remarks>
    /// With no delay the work runs now, inside the command (caller holds <see cref="Sync"/>), and
    /// the delayed response follows the reply. Either way it never reaches the agent before the
    /// reply: the session holds it until its transport has delivered the command's reply.
    /// </remarks>
    internal void CompleteLater(AgentSession session, ScmiHeader command, TimeSpan delay, Func<FieldSet?> work)
    {
        var number = session.CommandsHandled;
        if (Faults.HasHolds)
            delay += Faults.DelayedResponseHold(session.AgentName, command);
        if (delay <= TimeSpan.Zero)
        {
            session.CompleteAsync(RunDelayedWork(command, work), number);
            return;
        }

        ITimer? timer = null;
        timer = Time.CreateTimer(_ =>
        {
            byte[]? message;
            lock (Sync)
            {
                _timers.Remove(timer!);
                message = RunDelayedWork(command, work);
            }

            session.CompleteAsync(message, number);
            timer!.Dispose();
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timers.Add(timer);
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The second half of an asynchronous command, run on a timer's thread (caller holds
    /// <see cref="Sync"/>): its delayed response, or null for none. A bug in it answers
    /// GENERIC_ERROR, as a handler's does, and never reaches the timer (which would end the process).
    /// </summary>
    private byte[]? RunDelayedWork(ScmiHeader command, Func<FieldSet?> work)
    {
        try
        {
            return DelayedResponse(command, ScmiStatus.SUCCESS, work());
        }
#pragma warning disable CA1031 // A bug in one command's completion must answer GENERIC_ERROR, never take the daemon down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHandlerFailed(e, $"delayed {Vscmi.Protocol.Protocols.ScmiCatalog.FindMessage(command.ProtocolId, command.MessageId)?.Name ?? command.ToString()}");
            return DelayedResponse(command, ScmiStatus.GENERIC_ERROR, new FieldSet());
        }
    }

    /// <summary>
    /// A delayed response: the command's header as type 2, the status, then the return values
    /// encoded with the served version's delayed-response layout (none after a failure); null for none.
    /// </summary>
    private byte[]? DelayedResponse(ScmiHeader command, ScmiStatus status, FieldSet? values)
    {
        if (values is null)
            return null;
        var layout = status == ScmiStatus.SUCCESS ? SpecOf((ScmiProtocolId)command.ProtocolId).FindMessage(command.MessageId)?.DelayedResponse : null;
        var body = layout is null ? [] : LayoutCodec.EncodeToArray(layout, values);
        var message = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, command.WithType(ScmiMessageType.DELAYED_RESPONSE).Value);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), (int)status);
        body.CopyTo(message.AsSpan(8));
        return message;
    }

    /// <summary>A protocol as the model serves it (the handler's version), or the catalog's newest.</summary>
    private ProtocolSpec SpecOf(ScmiProtocolId protocol) => Table.Handler((byte)protocol)?.Spec ?? ScmiCatalog.Get(protocol);

    /// <summary>
    /// Samples the sensors that anyone watches: a configured trip point crossed in its enabled
    /// direction sends SENSOR_TRIP_POINT_EVENT (agent 0: the platform saw it), and subscribers of
    /// continuous updates get SENSOR_UPDATE. <see cref="StartSensorSampling"/> calls it periodically.
    /// </summary>
    public void SampleSensors()
    {
        const uint TripPositive = 1;
        const uint TripNegative = 2;
        Span<long> values = stackalloc long[Handlers.SensorHandler.MaxReadings];
        lock (Sync)
        {
            var uptime = Uptime;
            for (var id = 0; id < State.Sensors.Length; id++)
            {
                var sensor = State.Sensors[id];
                var trips = Array.Exists(sensor.Trips, t => t.Direction != 0);
                var continuous = AnySubscribed(ResourceKind.Sensor, (byte)ScmiProtocolId.SENSOR, (byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, id);
                if ((!trips && !continuous) || !sensor.Enabled || !sensor.TryReadAll(uptime, values))
                    continue;
                var value = values[0];
                if (trips && sensor.LastSample is { } previous)
                {
                    for (var t = 0; t < sensor.Trips.Length; t++)
                    {
                        var (direction, level) = sensor.Trips[t];
                        // SENSOR_TRIP_POINT_CONFIG direction: 1 positive, 2 negative, 3 both (reference 2.6).
                        var up = (direction & TripPositive) != 0 && previous < level && value >= level;
                        var down = (direction & TripNegative) != 0 && previous > level && value <= level;
                        if (up || down)
                        {
                            // Direction 1: crossed upwards (reference 2.6).
                            Notify((byte)SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, (uint)id, new SensorMessages.SensorTripPointEvent(0, (uint)id, (uint)t, up ? 1u : 0));
                        }
                    }
                }

                sensor.LastSample = value;
                if (continuous)
                {
                    var timestamp = (ulong)uptime.Ticks * 100; // ns; only consistent within a run
                    // One reading per axis (one for a scalar sensor).
                    var readings = new SensorMessages.SensorUpdate.ReadingsEntry[sensor.ReadingCount];
                    for (var axis = 0; axis < readings.Length; axis++)
                        readings[axis] = new SensorMessages.SensorUpdate.ReadingsEntry(values[axis], timestamp);
                    Notify((byte)SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, (uint)id, new SensorMessages.SensorUpdate(0, (uint)id, readings));
                }
            }
        }
    }

    /// <summary>
    /// How often serve samples the sensors (trip points, continuous updates): the shortest update
    /// interval a model can give, since update intervals are whole seconds (at least 1). The same
    /// for every model, so a reload never needs another period.
    /// </summary>
    public static readonly TimeSpan SamplingPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Samples sensors every <paramref name="period"/> (serve uses <see cref="SamplingPeriod"/>); a second call replaces the first.</summary>
    public void StartSensorSampling(TimeSpan period)
    {
        _sampler?.Dispose();
        _sampler = Time.CreateTimer(_ => SampleSensorsOrLog(), null, period, period);
    }

    // A timer callback's last resort: an exception there would end the process.
    private void SampleSensorsOrLog()
    {
        try
        {
            // Host reads first, off the lock; the sample then sees this period's values.
            if (HasHostResources)
                RefreshHost();
            SampleSensors();
        }
#pragma warning disable CA1031 // One failed sample must not take the daemon down; the next period tries again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogSamplingFailed(e);
        }
    }

    private bool AnySubscribed(ResourceKind kind, byte protocol, byte command, int resource)
    {
        foreach (var session in _sessions)
        {
            if (session.HasP2A && session.TryLocal(kind, resource, out var local) && session.IsSubscribed(protocol, command, local))
                return true;
        }

        return false;
    }

    /// <summary>Whether a protocol's command exists in the table (for PROTOCOL_MESSAGE_ATTRIBUTES and Base).</summary>
    internal MessageTable Table => _table;

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "agent {Agent}: malformed header 0x{Header:X8}")]
    private partial void LogMalformedHeader(string agent, uint header);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "agent {Agent}: {Message}: {Reason}")]
    private partial void LogBadRequest(string agent, string message, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Message}: reply does not fit the channel's {MaxPayload} bytes")]
    private partial void LogReplyTooLarge(string message, int maxPayload);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "{Message} handler failed")]
    private partial void LogHandlerFailed(Exception exception, string message);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "agent {Agent} is over its command rate ({Rate}/s, burst {Burst}; commands_per_second and command_burst in the model): {Refused} command(s) answered BUSY since the last report")]
    private partial void LogCommandRateExceeded(string agent, int rate, int burst, long refused);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "agent {Agent} fills its {Limit} bytes of unread trace records in a trace subscriber that is behind (trace_buffer_bytes in the model): {Dropped} of its record(s) dropped since the last report; other agents' are kept")]
    private partial void LogTraceLimit(string agent, int limit, long dropped);

    [LoggerMessage(EventId = 154, Level = LogLevel.Warning, Message = "host: a read of the host's resources is still running after a sampling period (a sysfs read hangs?); agents get the last values until it returns")]
    private partial void LogHostRefreshStuck();

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "sensor sampling failed (a bug); trying again next period")]
    private partial void LogSamplingFailed(Exception exception);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "agent {Agent} requested system state {State} (graceful: {Graceful})")]
    internal partial void LogSystemState(string agent, string state, bool graceful);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "agent {Agent} asked agent {Target} for system state {State} (graceful: {Graceful}); notified {Channels} channel(s)")]
    internal partial void LogAgentSystemState(string agent, string target, uint state, bool graceful, int channels);
}
