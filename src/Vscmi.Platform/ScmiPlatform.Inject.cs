using System.Buffers.Binary;
using Vscmi.Platform.Handlers;
using Vscmi.Platform.Injection;
using Vscmi.Platform.Model;
using Vscmi.Platform.Sensors;

namespace Vscmi.Platform;

/// <summary>
/// What the platform does on its own when told to (docs/scenarios.md): the faults that act on its
/// own messages and values (floods, withheld events, sensor values), and the platform-initiated
/// changes and events an agent must react to (limits, rates, power states, resets, system power,
/// errors, permissions). Each event is what a real platform would send: agent_id 0 (the platform).
/// </summary>
public sealed partial class ScmiPlatform
{
    /// <summary>The resource a command names at its description's resource offset (the agent's id); null for none.</summary>
    private uint? ResourceOf(ScmiHeader header, ReadOnlySpan<byte> payload) =>
        _table.Find(header.ProtocolId, header.MessageId) is { } entry && entry.Spec.Request.ResourceIdOffset is var offset and >= 0 && payload.Length >= offset + 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(payload[offset..])
            : null;

    /// <summary>The token bit a <see cref="FaultKind.WrongToken"/> fault flips: the top one of the 10.</summary>
    private const ushort WrongTokenFlip = 0x200;

    /// <summary>Alters a handled command's reply as a <see cref="FaultKind.WrongToken"/> or <see cref="FaultKind.Truncate"/> fault says; returns the length sent.</summary>
    private static int Alter(FaultSpec fault, Span<byte> reply, int length)
    {
        if (fault.Kind == FaultKind.Truncate)
            return Math.Min(length, fault.Bytes);
        // Bit 9 of the 10-bit token flipped (reference 1.1): a token the agent is unlikely to have
        // in flight, so the reply matches nothing (or the wrong command).
        var header = ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(reply));
        BinaryPrimitives.WriteUInt32LittleEndian(reply, new ScmiHeader(header.MessageId, header.Type, header.ProtocolId, (ushort)(header.Token ^ WrongTokenFlip)).Value);
        return length;
    }

    /// <summary>Starts a fault that acts on the platform's own messages or values; returns why it cannot (naming the value), or null.</summary>
    internal string? StartInjection(FaultInjector.Fault fault)
    {
        var spec = fault.Spec;
        switch (spec.Kind)
        {
            case FaultKind.Sensor:
                return OverrideSensor(fault);
            case FaultKind.Withhold:
                lock (Sync)
                {
                    foreach (var session in _sessions)
                    {
                        if (spec.Agent is null || session.AgentName == spec.Agent)
                            session.Withhold(true);
                    }
                }

                return null;
            case FaultKind.Flood:
                return StartFlood(fault);
            default:
                return null;
        }
    }

    /// <summary>Stops a fault started by <see cref="StartInjection"/> (a sensor reads its own source again; withheld messages go out in order).</summary>
    internal void StopInjection(FaultInjector.Fault fault)
    {
        switch (fault.Spec.Kind)
        {
            case FaultKind.Sensor when fault.Running is OverrideSource source:
                lock (Sync)
                {
                    var id = (int)fault.Spec.Resource!.Value;
                    if (id < State.Sensors.Length)
                        State.Sensors[id].Source = OverrideSource.Without(State.Sensors[id].Source, source);
                }

                break;
            case FaultKind.Withhold:
                lock (Sync)
                {
                    foreach (var session in _sessions)
                    {
                        if (!WithheldFor(session.AgentName))
                            session.Withhold(false);
                    }
                }

                break;
            case FaultKind.Flood when fault.Running is ITimer timer:
                timer.Dispose();
                break;
        }
    }

    /// <summary>Whether a withholding fault covers this agent now (a session opened meanwhile starts withheld).</summary>
    private bool WithheldFor(string agent) => Faults.OfKind(FaultKind.Withhold).Any(f => f.Spec.Agent is null || f.Spec.Agent == agent);

    private string? OverrideSensor(FaultInjector.Fault fault)
    {
        var spec = fault.Spec;
        lock (Sync)
        {
            if (spec.Resource >= (uint)State.Sensors.Length)
                return $"sensor {spec.Resource}: the model has {State.Sensors.Length} sensor(s)";
            var state = State.Sensors[(int)spec.Resource!.Value];
            var source = new OverrideSource(state.Source, spec.Value, spec.RampTo, spec.Delay, Uptime);
            state.Source = source;
            fault.Running = source;
        }

        // At once, not at the next period: a trip point crossed now sends its event now.
        SampleSensors();
        return null;
    }

    /// <summary>
    /// A sensor's value while a <see cref="FaultKind.Sensor"/> fault holds it: constant, or a straight
    /// ramp. Overrides stack (the newest on top, each over the one before), over the model's own source.
    /// </summary>
    private sealed class OverrideSource(SensorSource previous, long value, long? rampTo, TimeSpan over, TimeSpan start) : SensorSource
    {
        /// <summary>What this override hides: the model's source, or an older override.</summary>
        public SensorSource Previous { get; private set; } = previous;

        /// <summary>The model's own source under any stack of overrides.</summary>
        public static SensorSource Beneath(SensorSource source)
        {
            while (source is OverrideSource held)
                source = held.Previous;
            return source;
        }

        /// <summary>This stack of overrides put over <paramref name="source"/> (a reload's new one); returns the top.</summary>
        public OverrideSource Over(SensorSource source)
        {
            var bottom = this;
            while (bottom.Previous is OverrideSource older)
                bottom = older;
            bottom.Previous = source;
            return this;
        }

        /// <summary>
        /// The stack <paramref name="top"/> without <paramref name="removed"/>, wherever it is in it
        /// (faults end in any order); unchanged when it is not there.
        /// </summary>
        public static SensorSource Without(SensorSource top, OverrideSource removed)
        {
            if (top == removed)
                return removed.Previous;
            for (var above = top as OverrideSource; above is not null; above = above.Previous as OverrideSource)
            {
                if (above.Previous == removed)
                {
                    above.Previous = removed.Previous;
                    break;
                }
            }

            return top;
        }

        public override bool TryRead(TimeSpan sinceStart, out long reading)
        {
            if (rampTo is not { } end || sinceStart - start >= over)
            {
                reading = rampTo ?? value;
                return true;
            }

            var done = Math.Max(0, (sinceStart - start) / over);
            reading = value + (long)Math.Round((end - value) * done);
            return true;
        }
    }

    private string? StartFlood(FaultInjector.Fault fault)
    {
        var spec = fault.Spec;
        var protocol = (ScmiProtocolId)spec.Protocol!.Value;
        if (Table.Handler((byte)protocol) is null)
            return $"flood: the model serves no {protocol} protocol";
        var layout = SpecOf(protocol).FindNotification(spec.Message!.Value)?.Payload;
        if (layout is null)
            return $"flood: {protocol} has no notification 0x{spec.Message:X2} in the version served";
        var kind = ResourceKindOf(protocol);
        if (kind is { } k && spec.Resource is { } r && r >= (uint)ResourceCount(k))
            return $"resource {r}: the model has {ResourceCount(k)} {k} resource(s)";

        // Fixed parts zero (agent_id 0: the platform), the resource where the description puts it;
        // arrays empty. What the agent makes of the values is not the point: how it copes with the rate is.
        var started = Time.GetTimestamp();
        var sent = 0L;
        var period = TimeSpan.FromSeconds(Math.Max(0.01, 1 / spec.Rate));
        ITimer? timer = null;
        timer = Time.CreateTimer(_ =>
        {
            var due = (long)(Time.GetElapsedTime(started).TotalSeconds * spec.Rate) - sent;
            var granted = fault.Take((int)Math.Clamp(due, 0, 1000));
            sent += granted;
            lock (Sync)
            {
                for (var i = 0; i < granted; i++)
                    SendFloodNotification(spec, layout, kind);
            }

            if (fault.Exhausted)
                timer?.Dispose();
        }, null, TimeSpan.Zero, period);
        fault.Running = timer;
        return null;
    }

    private void SendFloodNotification(FaultSpec spec, Vscmi.Protocol.Schema.Layout layout, ResourceKind? kind)
    {
        byte[]? sameIds = null, otherIds = null;
        var otherLocal = 0u;
        foreach (var session in _sessions)
        {
            if (!session.HasP2A || (spec.Agent is not null && session.AgentName != spec.Agent))
                continue;
            var local = 0u;
            if (kind is { } k && !session.TryLocal(k, (int)(spec.Resource ?? 0), out local))
                continue;
            var resource = (uint)(spec.Resource ?? 0);
            ref var message = ref local == resource ? ref sameIds : ref otherIds;
            if (message is null || (local != resource && local != otherLocal))
            {
                // Shared by the sessions that number the resource alike, as Notify does.
                message = new byte[4 + layout.MinSize];
                BinaryPrimitives.WriteUInt32LittleEndian(message, new ScmiHeader(spec.Message!.Value, ScmiMessageType.NOTIFICATION, spec.Protocol!.Value, 0).Value);
                if (layout.ResourceIdOffset >= 0)
                    BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4 + layout.ResourceIdOffset), local);
                if (local != resource)
                    otherLocal = local;
            }

            session.EnqueueNotification(message);
        }
    }

    /// <summary>
    /// The platform changes a performance domain's limits itself (thermal, a power budget):
    /// PERFORMANCE_LIMITS_CHANGED to the subscribers, and the level pulled inside the new range
    /// (PERFORMANCE_LEVEL_CHANGED when it moves). Returns how many channels got the limits event.
    /// </summary>
    /// <exception cref="ArgumentException">No such domain, or limits outside its OPPs or holding none, naming the value.</exception>
    public int InjectPerfLimits(int domain, uint min, uint max)
    {
        lock (Sync)
        {
            if ((uint)domain >= (uint)Model.PerfDomains.Count)
                throw new ArgumentException($"performance domain {domain}: the model has {Model.PerfDomains.Count}", nameof(domain));
            var opps = Model.PerfDomains[domain].Opps;
            if (min > max || min < opps[0].Level || max > opps[^1].Level || !opps.Any(o => o.Level >= min && o.Level <= max))
                throw new ArgumentException($"limits {min}..{max}: within the OPP levels {opps[0].Level}..{opps[^1].Level}, holding at least one", nameof(min));
            var state = State.Perf[domain];
            state.RangeMin = min;
            state.RangeMax = max;
            var sent = Notify((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (uint)domain, new PerfMessages.PerformanceLimitsChanged(0, (uint)domain, max, min));
            ((PerfHandler)Table.Handler((byte)ScmiProtocolId.PERF)!).Recompute(0, domain);
            return sent;
        }
    }

    /// <summary>
    /// The platform moves a clock's rate itself (rounded to the closest supported rate):
    /// CLOCK_RATE_CHANGED to the subscribers. Returns how many channels got it.
    /// </summary>
    /// <exception cref="ArgumentException">No such clock, or a rate outside its range, naming the value.</exception>
    public int InjectClockRate(int clock, ulong rate)
    {
        lock (Sync)
        {
            if ((uint)clock >= (uint)Model.Clocks.Count)
                throw new ArgumentException($"clock {clock}: the model has {Model.Clocks.Count}", nameof(clock));
            var rounded = ClockHandler.Round(Model.Clocks[clock], rate, rounding: 2)
                ?? throw new ArgumentException($"rate {rate} Hz: outside clock {Model.Clocks[clock].Name}'s rates", nameof(rate));
            State.Clocks[clock].Rate = rounded;
            return Notify((byte)ClockMessageId.CLOCK_RATE_NOTIFY, (uint)clock, new ClockMessages.ClockRateChanged(0, (uint)clock, rounded));
        }
    }

    /// <summary>
    /// The platform turns a power domain on or off although no agent asked (the agents' votes stay
    /// as they were): POWER_STATE_CHANGED to the subscribers. Returns how many channels got it.
    /// </summary>
    /// <exception cref="ArgumentException">No such domain.</exception>
    public int InjectPowerState(int domain, bool on)
    {
        lock (Sync)
        {
            if ((uint)domain >= (uint)Model.PowerDomains.Count)
                throw new ArgumentException($"power domain {domain}: the model has {Model.PowerDomains.Count}", nameof(domain));
            State.Power[domain].On = on;
            return Notify((byte)PowerMessageId.POWER_STATE_NOTIFY, (uint)domain, new PowerMessages.PowerStateChanged(0, (uint)domain, StateId: 0, StateType: on ? 0u : 1));
        }
    }

    /// <summary>The platform resets a domain itself (architectural cold reset): RESET_ISSUED to the subscribers. Returns how many channels got it.</summary>
    /// <exception cref="ArgumentException">No such domain.</exception>
    public int InjectReset(int domain)
    {
        lock (Sync)
        {
            if ((uint)domain >= (uint)Model.ResetDomains.Count)
                throw new ArgumentException($"reset domain {domain}: the model has {Model.ResetDomains.Count}", nameof(domain));
            State.Resets[domain].Count++;
            return Notify((byte)ResetMessageId.RESET_NOTIFY, (uint)domain, new ResetMessages.ResetIssued(0, (uint)domain, 0, 0));
        }
    }

    /// <summary>
    /// SYSTEM_POWER_STATE_NOTIFIER from the platform itself (agent 0) to the subscribed channels of
    /// one agent (or every agent with 0): a shutdown (0), cold (1) or warm (2) reset, or suspend (4);
    /// graceful or forced, with the time the agent has (ms, 0 for none). Returns how many got it.
    /// </summary>
    /// <exception cref="ArgumentException">An agent or state out of range.</exception>
    public int InjectSystemPower(uint state, bool graceful, uint timeoutMs, int agent = 0)
    {
        if (state is not (0 or 1 or 2 or 4))
            throw new ArgumentException($"system state {state}: 0 shutdown, 1 cold reset, 2 warm reset or 4 suspend", nameof(state));
        if ((uint)agent > (uint)Model.Agents.Count)
            throw new ArgumentException($"agent {agent}: the model has {Model.Agents.Count}", nameof(agent));
        lock (Sync)
            return ((SystemPowerHandler)Table.Handler((byte)ScmiProtocolId.SYSTEM)!).NotifyState(0, graceful, state, timeoutMs, agent);
    }

    /// <summary>
    /// BASE_ERROR_EVENT from the platform to the channels subscribed to errors (of one agent, or
    /// all with 0), about agent <paramref name="about"/>, with its reports. Returns how many got it.
    /// </summary>
    /// <exception cref="ArgumentException">An agent out of range, or more reports than the event carries.</exception>
    public int InjectErrorEvent(int about, bool fatal, IReadOnlyList<ulong> reports, int agent = 0)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if ((uint)about > (uint)Model.Agents.Count || (uint)agent > (uint)Model.Agents.Count)
            throw new ArgumentException($"agent {Math.Max(about, agent)}: the model has {Model.Agents.Count}", nameof(about));
        if (reports.Count > 8)
            throw new ArgumentException($"{reports.Count} reports: at most 8 in one event (a 128-byte channel)", nameof(reports));
        lock (Sync)
            return Notify((byte)BaseMessageId.BASE_NOTIFY_ERRORS, 0, new BaseMessages.BaseErrorEvent((uint)about, fatal, reports), agent);
    }

    /// <summary>
    /// The platform itself allows or denies an agent a device (every protocol, or one), as
    /// BASE_SET_DEVICE_PERMISSIONS / BASE_SET_PROTOCOL_PERMISSIONS from a trusted agent would: a
    /// revoked resource answers DENIED from the next command on.
    /// </summary>
    /// <exception cref="ArgumentException">An agent, device or protocol out of range.</exception>
    public void InjectPermissions(int agent, int device, ScmiProtocolId? protocol, bool allow)
    {
        lock (Sync)
        {
            if (agent < 1 || agent > Model.Agents.Count)
                throw new ArgumentException($"agent {agent}: the model has {Model.Agents.Count}", nameof(agent));
            if ((uint)device >= (uint)Model.Devices.Count)
                throw new ArgumentException($"device {device}: the model has {Model.Devices.Count}", nameof(device));
            if (protocol is not { } p)
            {
                State.SetDeviceAllowed(agent, device, allow);
                return;
            }

            var kinds = ResourceKindsOf(p);
            if (!kinds.Any(Model.Devices[device].Resources.ContainsKey))
                throw new ArgumentException($"protocol {p}: device {Model.Devices[device].Name} has no resources of it", nameof(protocol));
            State.SetDeviceProtocolAllowed(agent, device, kinds, allow);
        }
    }
}
