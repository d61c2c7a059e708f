using CapSetFlags = Vscmi.Protocol.Fields.PowercapBits.PowercapCapSet.Request.Flags;
using DomainAttributesWord = Vscmi.Protocol.Fields.PowercapBits.PowercapDomainAttributes.Response.Attributes;

namespace Vscmi.Platform.Handlers;

/// <summary>
/// Power capping and monitoring (0x18, v2.0; reference 2.9). Each domain watches a performance
/// domain: power is the current OPP's cost (mW); a cap lowers that domain's ceiling to the fastest
/// OPP that fits, which the performance protocol reports as a limits change from the platform.
/// </summary>
internal sealed class PowercapHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.POWERCAP)
{
    private const uint PowerUnitMilliwatts = 2;

    /// <summary>parent_id of a domain with no parent (reference 2.9).</summary>
    private const uint NoParent = uint.MaxValue;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) =>
        reply.WriteUInt32((uint)agent.VisibleCount(Model.ResourceKind.Powercap));

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, DomainAttributes),
        ((byte)PowercapMessageId.POWERCAP_CAP_GET, CapGet),
        ((byte)PowercapMessageId.POWERCAP_CAP_SET, CapSet),
        ((byte)PowercapMessageId.POWERCAP_PAI_GET, PaiGet),
        ((byte)PowercapMessageId.POWERCAP_PAI_SET, PaiSet),
        ((byte)PowercapMessageId.POWERCAP_DOMAIN_NAME_GET, (ref ScmiRequest r, ref ScmiWriter w) =>
            NameGet(ref r, ref w, Model.ResourceKind.Powercap, i => Platform.Model.PowercapDomains[i].Name)),
        ((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_GET, MeasurementsGet),
        ((byte)PowercapMessageId.POWERCAP_CAP_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) =>
            Subscribe(ref r, Model.ResourceKind.Powercap, (byte)PowercapMessageId.POWERCAP_CAP_NOTIFY)),
        ((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, MeasurementsNotify),
        ((byte)PowercapMessageId.POWERCAP_DESCRIBE_FASTCHANNEL, DescribeFastChannel),
    ];

    private static bool TryDomain(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.Powercap, out id);

    private ScmiStatus DomainAttributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var d = Platform.Model.PowercapDomains[id];
        // Cap and measurement notifications with a P2A path; unit mW; no fast channels.
        var attributes = (request.Agent.HasP2A ? DomainAttributesWord.CapChangeNotify | DomainAttributesWord.MeasurementsNotify : 0)
            | (request.Agent.HasP2A && d.AsyncLatencyUs is not null ? DomainAttributesWord.AsyncCapSet : 0)
            | (NeedsExtendedName(d.Name) ? DomainAttributesWord.ExtendedName : 0)
            | (Platform.Host.Powercap[id] is { Control: false } ? 0 : DomainAttributesWord.CapConfigurable | DomainAttributesWord.PaiConfigurable)
            | DomainAttributesWord.Monitoring
            | BitField.Put(PowerUnitMilliwatts, DomainAttributesWord.PowerUnitMask, DomainAttributesWord.PowerUnitShift);
        reply.WriteUInt32(attributes);
        WriteShortName(ref reply, d.Name);
        reply.WriteUInt32(d.MinPai);
        reply.WriteUInt32(d.MaxPai);
        reply.WriteUInt32(d.PaiStep);
        reply.WriteUInt32(d.MinCap);
        reply.WriteUInt32(d.MaxCap);
        reply.WriteUInt32(d.CapStep);
        reply.WriteUInt32(d.SustainablePower);
        reply.WriteUInt32(d.Accuracy);
        reply.WriteUInt32(NoParent);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus CapGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        ReplyUInt32(ref request, ref reply, Model.ResourceKind.Powercap, static (p, id) => p.State.Powercap[id].Cap);

    /// <summary>A cap within [min, max] on a step, or 0 to disable capping (Powercap v2.0).</summary>
    private ScmiStatus CapSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var flags = request.Params.ReadUInt32();
        var cap = request.Params.ReadUInt32();
        var d = Platform.Model.PowercapDomains[id];
        if ((flags & CapSetFlags.Async) != 0 && (d.AsyncLatencyUs is null || !request.Agent.HasP2A))
            return ScmiStatus.NOT_SUPPORTED; // asynchronous cap set is not advertised for this domain
        if (!d.AllowsCap(cap))
            return ScmiStatus.OUT_OF_RANGE;
        if (Platform.Host.Powercap[id] is { } host && (host.Control ? host.SetCap(cap) : ScmiStatus.DENIED) is var hostStatus && hostStatus != ScmiStatus.SUCCESS)
            return hostStatus;
        if ((flags & CapSetFlags.Async) != 0)
        {
            // SUCCESS now; the cap applies, and POWERCAP_CAP_SET_COMPLETE (domain, cap) follows unless bit 0 declines it.
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            ApplyLater(request.Agent, request.Header, d.AsyncLatencyUs!.Value, id, cap, sendDelayed: (flags & CapSetFlags.IgnoreDelayedResponse) == 0);
            return ScmiStatus.SUCCESS;
        }

        Apply((uint)request.Agent.AgentId, id, cap);
        return ScmiStatus.SUCCESS;
    }

    // Its own method so that CapSet's synchronous path allocates no closure.
    private void ApplyLater(AgentSession agent, ScmiHeader header, uint latencyUs, int id, uint cap, bool sendDelayed) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            Apply((uint)agent.AgentId, id, cap);
            agent.TryLocal(Model.ResourceKind.Powercap, id, out var local);
            return sendDelayed ? new PowercapMessages.PowercapCapSetDelayed(local, cap).ToFields() : null;
        });

    /// <summary>Sets a cap, notifies POWERCAP_CAP_CHANGED and moves the performance ceiling. Caller holds the platform lock.</summary>
    private void Apply(uint agent, int id, uint cap)
    {
        var state = Platform.State.Powercap[id];
        if (state.Cap == cap)
            return;
        state.Cap = cap;
        Platform.Notify((byte)PowercapMessageId.POWERCAP_CAP_NOTIFY, (uint)id, new PowercapMessages.PowercapCapChanged(agent, (uint)id, cap, state.Pai));
        if (Platform.Model.PowercapDomains[id].PerfDomain is var perfDomain and >= 0)
            EnforceCap(perfDomain, cap); // a host zone enforces its own cap
    }

    /// <summary>
    /// After a level change of <paramref name="perfDomain"/>: every powercap domain watching it whose
    /// power left its subscriber's [low, high] window sends POWERCAP_MEASUREMENTS_CHANGED.
    /// </summary>
    internal void MeasurementMayHaveChanged(int perfDomain, uint agent)
    {
        for (var id = 0; id < Platform.Model.PowercapDomains.Count; id++)
        {
            if (Platform.Model.PowercapDomains[id].PerfDomain != perfDomain)
                continue;
            var power = Power(id);
            var (low, high) = Platform.State.Powercap[id].Thresholds;
            if (power < low || power > high)
                Platform.Notify((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, (uint)id, new PowercapMessages.PowercapMeasurementsChanged(agent, (uint)id, power));
        }
    }

    /// <summary>Lowers (or lifts) the performance domain's ceiling to the fastest OPP whose cost fits the cap.</summary>
    private void EnforceCap(int perfDomain, uint cap)
    {
        var opps = Platform.Model.PerfDomains[perfDomain].Opps;
        var perf = Platform.State.Perf[perfDomain];
        var ceiling = opps[0].Level;
        for (var i = 0; i < opps.Count; i++)
        {
            if (cap == 0 || opps[i].PowerCost <= cap)
                ceiling = opps[i].Level;
        }

        if (ceiling == perf.CapCeiling)
            return;
        perf.CapCeiling = ceiling;
        // The platform (agent 0) changed the limits in force.
        Platform.Notify((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (uint)perfDomain, new PerfMessages.PerformanceLimitsChanged(0, (uint)perfDomain, perf.EffectiveMax, perf.RangeMin));
        if (Platform.Table.Handler((byte)ScmiProtocolId.PERF) is PerfHandler handler)
            handler.Recompute(0, perfDomain);
    }

    private ScmiStatus PaiGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        ReplyUInt32(ref request, ref reply, Model.ResourceKind.Powercap, static (p, id) => p.State.Powercap[id].Pai);

    private ScmiStatus PaiSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        request.Params.ReadUInt32(); // flags: reserved (checked by the layout)
        var pai = request.Params.ReadUInt32();
        var d = Platform.Model.PowercapDomains[id];
        if (!d.AllowsPai(pai))
            return ScmiStatus.OUT_OF_RANGE;
        if (Platform.Host.Powercap[id] is { } host && (host.Control ? host.SetPai(pai) : ScmiStatus.DENIED) is var hostStatus && hostStatus != ScmiStatus.SUCCESS)
            return hostStatus;
        Platform.State.Powercap[id].Pai = pai;
        return ScmiStatus.SUCCESS;
    }

    /// <summary>Power (mW) is the cost of the performance domain's current OPP.</summary>
    private ScmiStatus MeasurementsGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(Power(id));
        reply.WriteUInt32(Platform.State.Powercap[id].Pai);
        return ScmiStatus.SUCCESS;
    }

    private uint Power(int id)
    {
        if (Platform.Host.Powercap[id] is not null)
            return Platform.State.Powercap[id].HostPowerMw ?? 0; // what the zone measured
        var perfDomain = Platform.Model.PowercapDomains[id].PerfDomain;
        var level = Platform.State.Perf[perfDomain].Level;
        var opps = Platform.Model.PerfDomains[perfDomain].Opps;
        for (var i = 0; i < opps.Count; i++)
        {
            if (opps[i].Level == level)
                return opps[i].PowerCost;
        }

        return 0;
    }

    private ScmiStatus MeasurementsNotify(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var local = request.Params.ReadUInt32();
        if (!request.Agent.TryGlobal(Model.ResourceKind.Powercap, local, out var id))
            return ScmiStatus.NOT_FOUND;
        var enable = ReadEnable(ref request);
        var low = request.Params.ReadUInt32();
        var high = request.Params.ReadUInt32();
        if (!request.Agent.HasP2A)
            return ScmiStatus.NOT_SUPPORTED;
        if (enable && low > high)
            return ScmiStatus.INVALID_PARAMETERS;
        Platform.State.Powercap[id].Thresholds = (low, high);
        request.Agent.Subscribe((byte)Id, (byte)PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, local, enable);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>No fast channels (attribute bit 22 clear; the virtio transport has none).</summary>
    private ScmiStatus DescribeFastChannel(ref ScmiRequest request, ref ScmiWriter reply) =>
        TryDomain(ref request, out _) ? ScmiStatus.NOT_SUPPORTED : ScmiStatus.NOT_FOUND;
}
