using DomainAttributesWord = Vscmi.Protocol.Fields.ResetBits.ResetDomainAttributes.Response.Attributes;
using ResetFlags = Vscmi.Protocol.Fields.ResetBits.Reset.Request.Flags;
using ResetStateWord = Vscmi.Protocol.Fields.ResetBits.Reset.Request.ResetState;

namespace Vscmi.Platform.Handlers;

/// <summary>Reset domain management (0x16; reference 2.7).</summary>
internal sealed class ResetHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.RESET)
{
    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) =>
        reply.WriteUInt32((uint)agent.VisibleCount(Model.ResourceKind.ResetDomain));

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)ResetMessageId.RESET_DOMAIN_ATTRIBUTES, DomainAttributes),
        ((byte)ResetMessageId.RESET, Reset),
        ((byte)ResetMessageId.RESET_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.ResetDomain, (byte)ResetMessageId.RESET_NOTIFY)),
        ((byte)ResetMessageId.RESET_DOMAIN_NAME_GET, NameGet),
    ];

    private static bool TryDomain(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.ResetDomain, out id);

    private ScmiStatus DomainAttributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var domain = Platform.Model.ResetDomains[id];
        // bit 30: reset notifications, only on a channel that can carry them.
        var asyncReset = domain.Async && request.Agent.HasP2A ? DomainAttributesWord.AsyncReset : 0;
        reply.WriteUInt32((asyncReset | (request.Agent.HasP2A ? DomainAttributesWord.ResetNotify : 0) | (NeedsExtendedName(domain.Name) ? DomainAttributesWord.ExtendedName : 0))
            & DefinedBits((byte)ResetMessageId.RESET_DOMAIN_ATTRIBUTES, DomainAttributesWord.Name));
        reply.WriteUInt32(domain.LatencyUs);
        WriteShortName(ref reply, domain.Name);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>Autonomous reset (assert then deassert), or explicit assert / deassert; only the architectural cold reset (id 0).</summary>
    private ScmiStatus Reset(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var flags = request.Params.ReadUInt32();
        var resetState = request.Params.ReadUInt32();
        var model = Platform.Model.ResetDomains[id];
        if ((flags & ResetFlags.Async) != 0 && (!model.Async || !request.Agent.HasP2A))
            return ScmiStatus.NOT_SUPPORTED; // asynchronous reset is not advertised for this domain
        if ((flags & ResetFlags.Autonomous) != 0 && (flags & ResetFlags.ExplicitAssert) != 0)
            return ScmiStatus.INVALID_PARAMETERS;
        if ((resetState & ResetStateWord.ResetType) != 0)
            return ScmiStatus.NOT_SUPPORTED; // implementation-defined reset types
        if (resetState != 0)
            return ScmiStatus.INVALID_PARAMETERS; // only architectural cold reset
        // A domain held in reset by one agent is that agent's until it deasserts it.
        var holder = Platform.State.Resets[id].Holder;
        if (holder != 0 && holder != request.Agent.AgentId)
            return ScmiStatus.DENIED;
        if ((flags & ResetFlags.Async) != 0)
        {
            // SUCCESS now; the reset happens, and RESET_COMPLETE (domain_id) follows, after the domain's latency.
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            ApplyLater(request.Agent, request.Header, model.LatencyUs, id, flags, resetState);
            return ScmiStatus.SUCCESS;
        }

        Apply((uint)request.Agent.AgentId, id, flags, resetState);
        return ScmiStatus.SUCCESS;
    }

    // Its own method so that Reset's synchronous path allocates no closure.
    private void ApplyLater(AgentSession agent, ScmiHeader header, uint latencyUs, int domain, uint flags, uint resetState) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            Apply((uint)agent.AgentId, domain, flags, resetState);
            agent.TryLocal(Model.ResourceKind.ResetDomain, domain, out var local);
            return new ResetMessages.ResetDelayed(local).ToFields();
        });

    /// <summary>Asserts, deasserts or pulses a domain and notifies RESET_ISSUED. Caller holds the platform lock.</summary>
    private void Apply(uint agent, int id, uint flags, uint resetState)
    {
        var state = Platform.State.Resets[id];
        var issued = (flags & ResetFlags.Autonomous) != 0 || ((flags & ResetFlags.ExplicitAssert) != 0 && !state.Asserted);
        if ((flags & ResetFlags.Autonomous) != 0)
            state.Asserted = false;
        else
            state.Asserted = (flags & ResetFlags.ExplicitAssert) != 0;
        state.Holder = state.Asserted ? (int)agent : 0;
        if (issued)
        {
            state.Count++;
            Platform.Notify((byte)ResetMessageId.RESET_NOTIFY, (uint)id,
                new ResetMessages.ResetIssued(agent, (uint)id, resetState & ResetStateWord.ResetIdMask, (resetState & ResetStateWord.ResetType) != 0 ? 1u : 0));
        }
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.ResetDomain, i => Platform.Model.ResetDomains[i].Name);
}
