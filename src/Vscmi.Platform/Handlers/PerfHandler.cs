using DomainAttributesWord = Vscmi.Protocol.Fields.PerfBits.PerformanceDomainAttributes.Response.Attributes;
using LevelsWord = Vscmi.Protocol.Fields.PerfBits.PerformanceDescribeLevels.Response.NumLevels;
using ProtocolAttributesWord = Vscmi.Protocol.Fields.PerfBits.ProtocolAttributes.Response.Attributes;

namespace Vscmi.Platform.Handlers;

/// <summary>Performance domain management (0x13, v4.0 layouts; reference 2.4).</summary>
internal sealed class PerfHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.PERF)
{
    /// <summary>Perf v4.0 (SCMI 3.2): 20-byte level entries with indicative frequency and index.</summary>
    private const uint V4 = 0x40000;

    private const int LevelEntrySize = 20; // v4.0 entry: level, power, attributes, indicative frequency, index
    private const int LevelEntrySizeV1 = 12; // before v4.0: level, power cost, attributes

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply)
    {
        // Power costs in milliwatts.
        reply.WriteUInt32(((uint)agent.VisibleCount(Model.ResourceKind.Perf) << ProtocolAttributesWord.NumDomainsShift) | ProtocolAttributesWord.PowerMw);
        reply.WriteUInt64(0);
        reply.WriteUInt32(0);
    }

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, DomainAttributes),
        ((byte)PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, DescribeLevels),
        ((byte)PerfMessageId.PERFORMANCE_LIMITS_SET, LimitsSet),
        ((byte)PerfMessageId.PERFORMANCE_LIMITS_GET, LimitsGet),
        ((byte)PerfMessageId.PERFORMANCE_LEVEL_SET, LevelSet),
        ((byte)PerfMessageId.PERFORMANCE_LEVEL_GET, LevelGet),
        ((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Perf, (byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS)),
        ((byte)PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Perf, (byte)PerfMessageId.PERFORMANCE_NOTIFY_LEVEL)),
        ((byte)PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, DescribeFastChannel),
        ((byte)PerfMessageId.PERFORMANCE_DOMAIN_NAME_GET, NameGet),
    ];

    private static bool TryDomain(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.Perf, out id);

    private ScmiStatus DomainAttributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var domain = Platform.Model.PerfDomains[id];
        // No fast channels (virtio has none); limits/level notifications only on a channel that can carry them.
        var notify = request.Agent.HasP2A ? DomainAttributesWord.LimitsNotify | DomainAttributesWord.LevelNotify : 0;
        // A host domain the model only reads cannot be set (and says so; a request anyway is DENIED).
        var settable = Platform.Host.Perf[id] is { Control: false } ? 0 : DomainAttributesWord.SetLimits | DomainAttributesWord.SetLevel;
        var attributes = settable | notify | (NeedsExtendedName(domain.Name) ? DomainAttributesWord.ExtendedName : 0);
        reply.WriteUInt32(attributes & DefinedBits((byte)PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, DomainAttributesWord.Name));
        reply.WriteUInt32(domain.RateLimitUs);
        reply.WriteUInt32(domain.SustainedFrequencyKhz);
        reply.WriteUInt32(domain.SustainedLevel);
        WriteShortName(ref reply, domain.Name);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus DescribeLevels(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var index = request.Params.ReadUInt32();
        var opps = Platform.Model.PerfDomains[id].Opps;
        if (index >= opps.Count)
            return ScmiStatus.OUT_OF_RANGE;
        // v4.0 entries are 20 bytes; before v4.0 (SCMI 3.1 and older) 12: level, power cost, latency (reference 2.4).
        var v4 = Version >= V4;
        var count = Math.Min(opps.Count - (int)index, EntriesThatFit(reply, v4 ? LevelEntrySize : LevelEntrySizeV1));
        var remaining = opps.Count - (int)index - count;
        reply.WriteUInt32(((uint)count << LevelsWord.ReturnedShift) | ((uint)remaining << LevelsWord.RemainingShift));
        for (var i = (int)index; i < index + count; i++)
        {
            reply.WriteUInt32(opps[i].Level);
            reply.WriteUInt32(opps[i].PowerCost);
            reply.WriteUInt32(opps[i].LatencyUs);
            if (!v4)
                continue;
            reply.WriteUInt32(opps[i].FrequencyKhz);
            reply.WriteUInt32((uint)i);
        }

        return ScmiStatus.SUCCESS;
    }

    /// <summary>Limits within the OPP range; the current level is pulled inside them.</summary>
    private ScmiStatus LimitsSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var p = new PerfMessages.PerformanceLimitsSetView(request.Params.RemainingSpan);
        if (!TryResource(ref request, Model.ResourceKind.Perf, p.DomainId, out var id))
            return ScmiStatus.NOT_FOUND;
        var (max, min) = (p.RangeMax, p.RangeMin);
        var opps = Platform.Model.PerfDomains[id].Opps;
        if (min > max)
            return ScmiStatus.INVALID_PARAMETERS;
        // The lowest OPP inside [min, max]; none means the limits exclude every level.
        var lowest = -1;
        for (var i = 0; i < opps.Count; i++)
        {
            if (opps[i].Level >= min && opps[i].Level <= max)
            {
                if (lowest < 0)
                    lowest = i;
            }
        }

        if (min < opps[0].Level || max > opps[^1].Level || lowest < 0)
            return ScmiStatus.OUT_OF_RANGE;
        if (Platform.Host.Perf[id] is { } host)
        {
            // The policy's limits are the host's: written first, and nothing changes here if that fails.
            var hostStatus = host.Control ? host.SetLimits(FrequencyOf(opps, min, roundUp: true), FrequencyOf(opps, max, roundUp: false)) : ScmiStatus.DENIED;
            if (hostStatus != ScmiStatus.SUCCESS)
                return hostStatus;
        }

        var state = Platform.State.Perf[id];
        var agent = (uint)request.Agent.AgentId;
        state.RangeMin = min;
        state.RangeMax = max;
        Platform.Notify((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (uint)id, new PerfMessages.PerformanceLimitsChanged(agent, (uint)id, max, min));
        return Recompute(agent, id);
    }

    /// <summary>The frequency of the OPP at or next to a limit (limits need not be OPP levels).</summary>
    private static uint FrequencyOf(IReadOnlyList<Model.OppModel> opps, uint level, bool roundUp)
    {
        if (roundUp)
        {
            foreach (var opp in opps)
            {
                if (opp.Level >= level)
                    return opp.FrequencyKhz;
            }

            return opps[^1].FrequencyKhz;
        }

        for (var i = opps.Count - 1; i >= 0; i--)
        {
            if (opps[i].Level <= level)
                return opps[i].FrequencyKhz;
        }

        return opps[0].FrequencyKhz;
    }

    /// <summary>
    /// The level in force: the highest agent request (the current level if nobody asked), pulled
    /// inside the limits and any power cap. Caller holds the platform lock.
    /// </summary>
    internal ScmiStatus Recompute(uint agent, int domain)
    {
        var state = Platform.State.Perf[domain];
        var opps = Platform.Model.PerfDomains[domain].Opps;
        uint? wanted = null;
        foreach (var request in state.Requests)
        {
            if (request > (wanted ?? 0))
                wanted = request;
        }

        var target = wanted ?? state.Level;
        if (target > state.EffectiveMax)
            target = HighestOppAtMost(opps, state.EffectiveMax);
        if (target < state.RangeMin)
        {
            target = opps[^1].Level;
            for (var i = opps.Count - 1; i >= 0; i--)
            {
                if (opps[i].Level >= state.RangeMin)
                    target = opps[i].Level;
            }
        }

        return SetLevel(agent, domain, target);
    }

    /// <summary>The highest OPP level not above <paramref name="ceiling"/> (the lowest OPP if none is).</summary>
    internal static uint HighestOppAtMost(IReadOnlyList<Model.OppModel> opps, uint ceiling)
    {
        var level = opps[0].Level;
        for (var i = 0; i < opps.Count; i++)
        {
            if (opps[i].Level <= ceiling)
                level = opps[i].Level;
        }

        return level;
    }

    /// <summary>
    /// Moves a domain's level and tells the subscribers (PERFORMANCE_LEVEL_CHANGED). A cpufreq
    /// domain with control moves the policy first; the level stays where it was if the host refuses.
    /// </summary>
    internal ScmiStatus SetLevel(uint agent, int domain, uint level)
    {
        var state = Platform.State.Perf[domain];
        // A host policy is written even when it already runs at the level: under a governor of
        // its own (schedutil) the frequency would not stay there (seen in the e2e guest's inner
        // daemon, whose policy happened to sit at the requested level when it was asked).
        if (state.Level == level && Platform.Host.Perf[domain] is not { Control: true })
            return ScmiStatus.SUCCESS;
        if (Platform.Host.Perf[domain] is { Control: true } host)
        {
            var opps = Platform.Model.PerfDomains[domain].Opps;
            for (var i = 0; i < opps.Count; i++)
            {
                if (opps[i].Level == level && host.SetFrequency(opps[i].FrequencyKhz) is var status && status != ScmiStatus.SUCCESS)
                    return status;
            }
        }

        Observe(domain, level, agent);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A level now in force (set here, or seen on the host by the poller: agent 0), told to subscribers.</summary>
    internal void Observe(int domain, uint level, uint agent = 0)
    {
        var state = Platform.State.Perf[domain];
        state.Level = level;
        Platform.Notify((byte)PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, (uint)domain, new PerfMessages.PerformanceLevelChanged(agent, (uint)domain, level));
        if (Platform.Table.Handler((byte)ScmiProtocolId.POWERCAP) is PowercapHandler powercap)
            powercap.MeasurementMayHaveChanged(domain, agent);
    }

    private ScmiStatus LimitsGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(Platform.State.Perf[id].EffectiveMax);
        reply.WriteUInt32(Platform.State.Perf[id].RangeMin);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>The level must be one of the domain's OPPs and within the current limits.</summary>
    private ScmiStatus LevelSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var p = new PerfMessages.PerformanceLevelSetView(request.Params.RemainingSpan);
        if (!TryResource(ref request, Model.ResourceKind.Perf, p.DomainId, out var id))
            return ScmiStatus.NOT_FOUND;
        var level = p.PerformanceLevel;
        var state = Platform.State.Perf[id];
        // Outside the limits (which the agent can read and is notified of) is OUT_OF_RANGE. A power
        // cap is the platform's own policy the agent cannot see: a request above it is accepted and
        // kept, and the level in force stays under the cap until it lifts (Linux 6.12 otherwise
        // logs "Failed to change cpu frequency: -34" under a host-set cap; docs/conformance.md).
        if (level < state.RangeMin || level > state.RangeMax || !IsOpp(Platform.Model.PerfDomains[id].Opps, level))
            return ScmiStatus.OUT_OF_RANGE;
        if (Platform.Host.Perf[id] is { Control: false })
            return ScmiStatus.DENIED; // a host policy the model only reads
        // Aggregated: the highest request of all agents wins (within limits and any power cap).
        var slot = request.Agent.AgentId - 1;
        var previous = state.Requests[slot];
        state.Requests[slot] = level;
        var status = Recompute((uint)request.Agent.AgentId, id);
        if (status != ScmiStatus.SUCCESS)
            state.Requests[slot] = previous; // the host refused: the request does not stand
        return status;
    }

    private static bool IsOpp(IReadOnlyList<Model.OppModel> opps, uint level)
    {
        for (var i = 0; i < opps.Count; i++)
        {
            if (opps[i].Level == level)
                return true;
        }

        return false;
    }

    private ScmiStatus LevelGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        ReplyUInt32(ref request, ref reply, Model.ResourceKind.Perf, static (p, id) => p.State.Perf[id].Level);

    /// <summary>No domain has fast channels (the virtio transport cannot carry them; reference 4.1).</summary>
    private ScmiStatus DescribeFastChannel(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out _))
            return ScmiStatus.NOT_FOUND;
        var message = request.Params.ReadUInt32();
        // LIMITS_SET..LEVEL_GET may have fast channels; no other message can.
        return message is >= (uint)PerfMessageId.PERFORMANCE_LIMITS_SET and <= (uint)PerfMessageId.PERFORMANCE_LEVEL_GET ? ScmiStatus.NOT_SUPPORTED : ScmiStatus.INVALID_PARAMETERS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.Perf, i => Platform.Model.PerfDomains[i].Name);
}
