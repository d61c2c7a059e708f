using Vscmi.Platform.Model;
using ClockAttributesWord = Vscmi.Protocol.Fields.ClockBits.ClockAttributes.Response.Attributes;
using Permissions = Vscmi.Protocol.Fields.ClockBits.ClockGetPermissions.Response.Permissions;
using ConfigGetFlags = Vscmi.Protocol.Fields.ClockBits.ClockConfigGet.Request.Flags;
using ConfigGetWord = Vscmi.Protocol.Fields.ClockBits.ClockConfigGet.Response.Config;
using ConfigSetWord = Vscmi.Protocol.Fields.ClockBits.ClockConfigSet.Request.Attributes;
using ParentsWord = Vscmi.Protocol.Fields.ClockBits.ClockPossibleParentsGet.Response.NumParentsFlags;
using ProtocolAttributesWord = Vscmi.Protocol.Fields.ClockBits.ProtocolAttributes.Response.Attributes;
using RatesWord = Vscmi.Protocol.Fields.ClockBits.ClockDescribeRates.Response.NumRatesFlags;

namespace Vscmi.Platform.Handlers;

/// <summary>Clock management (0x14, v3.0 layouts; reference 2.5).</summary>
internal sealed class ClockHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.CLOCK)
{
    /// <summary>Clock v2.0 (SCMI 3.1): clock_enable_delay in CLOCK_ATTRIBUTES.</summary>
    private const uint V2 = 0x20000;

    /// <summary>CLOCK_CONFIG_SET states (reference 2.5): 3 means "leave unchanged".</summary>
    private const uint Enable = 1;
    private const uint Unchanged = 3;

    private const uint RoundDown = 0;
    private const uint RoundUp = 1;

    /// <summary>
    /// 15:0 clocks; 23:16 pending asynchronous rate sets allowed. The limit is protocol-wide:
    /// CLOCK_ATTRIBUTES has no per-clock async bit, so every clock must accept an asynchronous
    /// set once this is non-zero (Linux then sets the flag on every clk_set_rate, reference 2.5).
    /// 0 without a P2A path, which could not carry the delayed response.
    /// </summary>
    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) =>
        reply.WriteUInt32(BitField.Put((uint)agent.VisibleCount(Model.ResourceKind.Clock), ProtocolAttributesWord.NumClocksMask, ProtocolAttributesWord.NumClocksShift)
            | (agent.HasP2A ? BitField.Put((uint)AgentSession.MaxPendingAsync, ProtocolAttributesWord.MaxAsyncRequestsMask, ProtocolAttributesWord.MaxAsyncRequestsShift) : 0));

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)ClockMessageId.CLOCK_ATTRIBUTES, Attributes),
        ((byte)ClockMessageId.CLOCK_DESCRIBE_RATES, DescribeRates),
        ((byte)ClockMessageId.CLOCK_RATE_SET, RateSet),
        ((byte)ClockMessageId.CLOCK_RATE_GET, RateGet),
        ((byte)ClockMessageId.CLOCK_CONFIG_SET, ConfigSet),
        ((byte)ClockMessageId.CLOCK_NAME_GET, NameGet),
        ((byte)ClockMessageId.CLOCK_RATE_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Clock, (byte)ClockMessageId.CLOCK_RATE_NOTIFY)),
        ((byte)ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.Clock, (byte)ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY)),
        ((byte)ClockMessageId.CLOCK_CONFIG_GET, ConfigGet),
        ((byte)ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, PossibleParents),
        ((byte)ClockMessageId.CLOCK_PARENT_SET, ParentSet),
        ((byte)ClockMessageId.CLOCK_PARENT_GET, ParentGet),
        ((byte)ClockMessageId.CLOCK_GET_PERMISSIONS, GetPermissions),
    ];

    private static bool TryClock(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.Clock, out id);

    private ScmiStatus Attributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var clock = Platform.Model.Clocks[id];
        // Rate changed / change requested notifications only on a channel that can carry them.
        var attributes = (Platform.State.Clocks[id].EnabledFor(request.Agent.AgentId) ? ClockAttributesWord.Enabled : 0)
            | (request.Agent.HasP2A ? ClockAttributesWord.RateChangedNotify | ClockAttributesWord.RateChangeRequestedNotify : 0)
            | (NeedsExtendedName(clock.Name) ? ClockAttributesWord.ExtendedName : 0)
            | (HasVisibleParent(request.Agent, id) ? ClockAttributesWord.Parents : 0);
        reply.WriteUInt32(attributes & DefinedBits((byte)ClockMessageId.CLOCK_ATTRIBUTES, ClockAttributesWord.Name));
        WriteShortName(ref reply, clock.Name);
        if (Version >= V2)
            reply.WriteUInt32(clock.EnableDelayUs); // clock_enable_delay came with Clock v2.0 (SCMI 3.1)
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A discrete list, split to fit the channel; or one {min, max, step} triplet (reference 1.7).</summary>
    private ScmiStatus DescribeRates(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var index = request.Params.ReadUInt32();
        var clock = Platform.Model.Clocks[id];
        if (clock.Range is { } range)
        {
            if (index != 0)
                return ScmiStatus.OUT_OF_RANGE;
            // One {min, max, step} triplet.
            reply.WriteUInt32((3u << RatesWord.ReturnedShift) | RatesWord.Format);
            reply.WriteUInt64(range.Min);
            reply.WriteUInt64(range.Max);
            reply.WriteUInt64(range.Step);
            return ScmiStatus.SUCCESS;
        }

        var rates = clock.Rates!;
        if (index >= rates.Count)
            return ScmiStatus.OUT_OF_RANGE;
        var count = Math.Min(rates.Count - (int)index, EntriesThatFit(reply, 8));
        reply.WriteUInt32(((uint)count << RatesWord.ReturnedShift) | ((uint)(rates.Count - (int)index - count) << RatesWord.RemainingShift));
        for (var i = (int)index; i < index + count; i++)
            reply.WriteUInt64(rates[i]);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus RateSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var p = new ClockMessages.ClockRateSetView(request.Params.RemainingSpan);
        if (!TryResource(ref request, Model.ResourceKind.Clock, p.ClockId, out var id))
            return ScmiStatus.NOT_FOUND;
        var requested = p.Rate;
        var rate = Round(Platform.Model.Clocks[id], requested, p.Rounding);
        if (Platform.Host.Clocks[id] is { } host && rate is { } hostRate)
        {
            // A host clock: DENIED unless the model gives control; the host's refusal is the answer.
            var hostStatus = host.Control ? host.SetRate(hostRate) : ScmiStatus.DENIED;
            if (hostStatus != ScmiStatus.SUCCESS)
                return hostStatus;
        }

        if (p.Async)
        {
            // Asynchronous: SUCCESS now, the change and its delayed response after the clock's
            // latency, or at once for a clock without one (reference 2.5: the async limit is protocol-wide).
            if (!request.Agent.HasP2A)
                return ScmiStatus.NOT_SUPPORTED;
            var latency = Platform.Model.Clocks[id].AsyncLatencyUs ?? 0;
            if (rate is null)
                return ScmiStatus.OUT_OF_RANGE;
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            ApplyLater(request.Agent, request.Header, latency, id, requested, rate.Value, sendDelayed: !p.IgnoreDelayedResponse);
            return ScmiStatus.SUCCESS;
        }

        if (rate is null)
            return ScmiStatus.OUT_OF_RANGE;
        Apply((uint)request.Agent.AgentId, id, requested, rate.Value);
        return ScmiStatus.SUCCESS;
    }

    // Its own method: a lambda capturing RateSet's locals would allocate its closure on every call, sync ones too.
    private void ApplyLater(AgentSession agent, ScmiHeader header, uint latencyUs, int id, ulong requested, ulong rate, bool sendDelayed) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            Apply((uint)agent.AgentId, id, requested, rate);
            agent.TryLocal(Model.ResourceKind.Clock, id, out var local);
            return sendDelayed ? new ClockMessages.ClockRateSetDelayed(local, rate).ToFields() : null;
        });

    /// <summary>Sets a rate and notifies (change requested, then changed if it did). Caller holds the platform lock.</summary>
    private void Apply(uint agent, int id, ulong requested, ulong rate)
    {
        Platform.Notify((byte)ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, (uint)id, new ClockMessages.ClockRateChangeRequested(agent, (uint)id, requested));
        var state = Platform.State.Clocks[id];
        if (state.Rate != rate)
        {
            state.Rate = rate;
            Platform.Notify((byte)ClockMessageId.CLOCK_RATE_NOTIFY, (uint)id, new ClockMessages.ClockRateChanged(agent, (uint)id, rate));
        }
    }

    /// <summary>
    /// The supported rate for a request under a rounding mode (0 down, 1 up, 2 closest), the same
    /// rule for both kinds of clock (docs/conformance.md): a request below the lowest or above the
    /// highest supported rate is OUT_OF_RANGE (null), as SCP-firmware's clock drivers answer
    /// (FWK_E_RANGE); one in between is rounded to a supported rate, never past either end.
    /// </summary>
    internal static ulong? Round(ClockModel clock, ulong requested, uint rounding)
    {
        ulong down, up;
        if (clock.Range is { } range)
        {
            if (requested < range.Min || requested > range.Max)
                return null;
            down = range.Min + ((requested - range.Min) / range.Step * range.Step);
            // Above the last step (a max off the step grid) the last step is the highest rate.
            up = down == requested || down + range.Step > range.Max ? down : down + range.Step;
        }
        else
        {
            var rates = clock.Rates!;
            if (rates.Count == 0 || requested < rates[0] || requested > rates[^1])
                return null;
            down = rates[0];
            up = rates[^1];
            for (var i = 0; i < rates.Count; i++)
            {
                if (rates[i] <= requested)
                    down = rates[i];
                if (rates[i] >= requested)
                {
                    up = rates[i];
                    break;
                }
            }
        }

        return rounding switch
        {
            RoundDown => down,
            RoundUp => up,
            _ => up < requested || requested - down <= up - requested ? down : up,
        };
    }

    private ScmiStatus RateGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        ReplyUInt64(ref request, ref reply, Model.ResourceKind.Clock, static (p, id) => p.State.Clocks[id].Rate);

    /// <summary>attributes 1:0 = 0 disable, 1 enable, 3 unchanged; no extended configuration types are modelled.</summary>
    private ScmiStatus ConfigSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var attributes = request.Params.ReadUInt32();
        var state = BitField.Get(attributes, ConfigSetWord.StateMask, ConfigSetWord.StateShift);
        if (BitField.Get(attributes, ConfigSetWord.ExtendedConfigTypeMask, ConfigSetWord.ExtendedConfigTypeShift) != 0)
            return ScmiStatus.NOT_SUPPORTED;
        if (state == Unchanged)
            return ScmiStatus.INVALID_PARAMETERS; // "unchanged" only makes sense with an extended type
        if (Platform.Host.Clocks[id] is { } host)
            return host.Control ? ScmiStatus.NOT_SUPPORTED : ScmiStatus.DENIED; // Linux has no user-space interface to gate a clock
        // Enable counts per agent: the clock runs while any agent has it enabled; each sees its own vote.
        Platform.State.Clocks[id].Votes[request.Agent.AgentId - 1] = state == Enable;
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.Clock, i => Platform.Model.Clocks[i].Name);

    private ScmiStatus ConfigGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        if (BitField.Get(request.Params.ReadUInt32(), ConfigGetFlags.ExtendedConfigTypeMask, ConfigGetFlags.ExtendedConfigTypeShift) != 0)
            return ScmiStatus.NOT_SUPPORTED;
        reply.WriteUInt32(0);
        reply.WriteUInt32(Platform.State.Clocks[id].EnabledFor(request.Agent.AgentId) ? ConfigGetWord.Enabled : 0);
        reply.WriteUInt32(0);
        return ScmiStatus.SUCCESS;
    }

    private bool HasVisibleParent(AgentSession agent, int clock)
    {
        foreach (var parent in Platform.Model.Clocks[clock].ParentIds)
        {
            if (agent.TryLocal(Model.ResourceKind.Clock, parent, out _))
                return true;
        }

        return false;
    }

    /// <summary>A clock's parents the agent can see, in its own ids (Linux indexes its clock table with them).</summary>
    private List<uint> VisibleParents(AgentSession agent, int clock)
    {
        var parents = new List<uint>();
        foreach (var parent in Platform.Model.Clocks[clock].ParentIds)
        {
            if (agent.TryLocal(Model.ResourceKind.Clock, parent, out var local))
                parents.Add(local);
        }

        return parents;
    }

    private ScmiStatus PossibleParents(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var skip = request.Params.ReadUInt32();
        var parents = VisibleParents(request.Agent, id);
        if (parents.Count == 0)
            return ScmiStatus.NOT_SUPPORTED;
        if (skip >= parents.Count)
            return ScmiStatus.OUT_OF_RANGE;
        // Both counts are 8 bits: at most 255 a reply, and "remaining" saturates.
        var most = (int)BitField.Get(ParentsWord.ReturnedMask, ParentsWord.ReturnedMask, ParentsWord.ReturnedShift);
        var count = Math.Min(Math.Min(parents.Count - (int)skip, EntriesThatFit(reply, 4)), most);
        reply.WriteUInt32(BitField.Put((uint)count, ParentsWord.ReturnedMask, ParentsWord.ReturnedShift)
            | BitField.Put((uint)Math.Min(parents.Count - (int)skip - count, most), ParentsWord.RemainingMask, ParentsWord.RemainingShift));
        for (var i = (int)skip; i < skip + count; i++)
            reply.WriteUInt32(parents[i]);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ParentSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var local = request.Params.ReadUInt32();
        var parents = Platform.Model.Clocks[id].ParentIds;
        if (parents.Count == 0)
            return ScmiStatus.NOT_SUPPORTED;
        if (!request.Agent.TryGlobal(Model.ResourceKind.Clock, local, out var parent))
            return ScmiStatus.NOT_FOUND;
        if (!parents.Contains(parent))
            return ScmiStatus.INVALID_PARAMETERS;
        if (Platform.Host.Clocks[id] is { } host)
            return host.Control ? ScmiStatus.NOT_SUPPORTED : ScmiStatus.DENIED; // nor to reparent one
        Platform.State.Clocks[id].Parent = parent;
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ParentGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        // No parent, or one outside the agent's view that it could not name.
        if (Platform.State.Clocks[id].Parent is not { } parent || !request.Agent.TryLocal(Model.ResourceKind.Clock, parent, out var local))
            return ScmiStatus.NOT_SUPPORTED;
        reply.WriteUInt32(local);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>Every agent may control state, parent and rate (per-agent rights arrive with permissions).</summary>
    private ScmiStatus GetPermissions(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryClock(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        // A host clock: only its rate, and only with control (clk debugfs can write nothing else).
        reply.WriteUInt32(Platform.Host.Clocks[id] is { } host
            ? (host.Control ? Permissions.RateControl : 0)
            : Permissions.StateControl | Permissions.ParentControl | Permissions.RateControl);
        return ScmiStatus.SUCCESS;
    }
}
