using DomainAttributesWord = Vscmi.Protocol.Fields.PowerBits.PowerDomainAttributes.Response.Attributes;
using PowerStateWord = Vscmi.Protocol.Fields.PowerBits.PowerStateSet.Request.PowerState;

namespace Vscmi.Platform.Handlers;

/// <summary>Power domain management (0x11; reference 2.2): generic on/off states with a parent hierarchy.</summary>
internal sealed class PowerHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.POWER)
{
    /// <summary>The generic states: state type 0 (on) or 1 (off), state id 0 (reference 2.2).</summary>
    private const uint On = 0;
    private const uint Off = PowerStateWord.StateType;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply)
    {
        reply.WriteUInt32((uint)agent.VisibleCount(Model.ResourceKind.PowerDomain));
        reply.WriteUInt64(0); // no statistics shared memory
        reply.WriteUInt32(0);
    }

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)PowerMessageId.POWER_DOMAIN_ATTRIBUTES, DomainAttributes),
        ((byte)PowerMessageId.POWER_STATE_SET, StateSet),
        ((byte)PowerMessageId.POWER_STATE_GET, StateGet),
        ((byte)PowerMessageId.POWER_STATE_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.PowerDomain, (byte)PowerMessageId.POWER_STATE_NOTIFY)),
        ((byte)PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY, (ref ScmiRequest r, ref ScmiWriter w) => Subscribe(ref r, Model.ResourceKind.PowerDomain, (byte)PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY)),
        ((byte)PowerMessageId.POWER_DOMAIN_NAME_GET, NameGet),
    ];

    private static bool TryDomain(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.PowerDomain, out id);

    private ScmiStatus DomainAttributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var name = Platform.Model.PowerDomains[(int)id].Name;
        // State-change (requested) notifications only on a channel that can carry them.
        var notify = request.Agent.HasP2A ? DomainAttributesWord.StateChangeNotify | DomainAttributesWord.StateChangeRequestedNotify : 0;
        var asyncSet = Platform.Model.PowerDomains[id].AsyncLatencyUs is not null ? DomainAttributesWord.AsyncStateSet : 0;
        var attributes = notify | asyncSet | DomainAttributesWord.SyncStateSet | (NeedsExtendedName(name) ? DomainAttributesWord.ExtendedName : 0);
        reply.WriteUInt32(attributes & DefinedBits((byte)PowerMessageId.POWER_DOMAIN_ATTRIBUTES, DomainAttributesWord.Name));
        WriteShortName(ref reply, name);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus StateSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var p = new PowerMessages.PowerStateSetView(request.Params.RemainingSpan);
        if (!TryResource(ref request, Model.ResourceKind.PowerDomain, p.DomainId, out var id))
            return ScmiStatus.NOT_FOUND;
        // The generic states only: id 0, type on or off (reference 2.2).
        var state = p.StateId == 0 ? (p.StateType != 0 ? Off : On) : uint.MaxValue;
        var latency = Platform.Model.PowerDomains[id].AsyncLatencyUs;
        if (p.Async && latency is null)
            return ScmiStatus.NOT_SUPPORTED; // async set is not advertised for this domain (attribute bit 30 clear)
        if (state is not (On or Off))
            return ScmiStatus.INVALID_PARAMETERS; // only the generic states
        var agent = request.Agent.AgentId;
        if (Platform.Host.Power[id] is { } host)
            return SetHost(host, agent, id, state == On);
        Platform.Notify((byte)PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY, (uint)id,
            new PowerMessages.PowerStateChangeRequested((uint)agent, (uint)id, StateId: 0, StateType: state == Off ? 1u : 0));
        if (p.Async)
        {
            // Asynchronous: SUCCESS now, the change after the domain's latency. There is no delayed
            // response for this command: completion shows as POWER_STATE_CHANGED and in POWER_STATE_GET
            // (SCP-firmware's flag; TF-A sets it and never waits for a delayed response).
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            VoteLater(request.Agent, request.Header, latency!.Value, id, state == On);
            return ScmiStatus.SUCCESS;
        }

        // The agent's vote; the domain (and its ancestors) are on while any agent needs them (reference 2.2).
        Platform.State.Power[id].Votes[agent - 1] = state == On;
        Rearbitrate((uint)agent);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>
    /// A device's runtime PM: written at once (DENIED without control), and the vote kept so the
    /// agent reads back what it asked; the physical state follows the host's runtime_status.
    /// </summary>
    private ScmiStatus SetHost(Host.RuntimePmBackend host, int agent, int id, bool on)
    {
        var status = host.Control ? host.SetOn(on) : ScmiStatus.DENIED;
        if (status != ScmiStatus.SUCCESS)
            return status;
        Platform.State.Power[id].Votes[agent - 1] = on;
        return ScmiStatus.SUCCESS;
    }

    // Its own method so that StateSet's synchronous path allocates no closure.
    private void VoteLater(AgentSession agent, ScmiHeader header, uint latencyUs, int domain, bool on) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            Platform.State.Power[domain].Votes[agent.AgentId - 1] = on;
            Rearbitrate((uint)agent.AgentId);
            return null;
        });

    /// <summary>
    /// Physical states from the votes: a domain is on while any agent votes for it or any child is on.
    /// Every change is told to the subscribers (POWER_STATE_CHANGED, with the agent that caused it).
    /// Caller holds the platform lock.
    /// </summary>
    internal void Rearbitrate(uint agent)
    {
        var domains = Platform.Model.PowerDomains;
        var states = Platform.State.Power;
        for (var d = 0; d < domains.Count; d++)
        {
            var on = IsWanted(d);
            if (states[d].On == on)
                continue;
            states[d].On = on;
            Platform.Notify((byte)PowerMessageId.POWER_STATE_NOTIFY, (uint)d, new PowerMessages.PowerStateChanged(agent, (uint)d, StateId: 0, StateType: on ? 0u : 1));
        }
    }

    private bool IsWanted(int domain)
    {
        if (Array.IndexOf(Platform.State.Power[domain].Votes, true) >= 0)
            return true;
        var domains = Platform.Model.PowerDomains;
        for (var child = 0; child < domains.Count; child++)
        {
            if (domains[child].ParentId == domain && IsWanted(child))
                return true;
        }

        return false;
    }

    private ScmiStatus StateGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        // The agent's own request: Linux reads a state back after setting it and wants exactly that.
        // A host domain the model only reads: what the host's runtime PM says.
        var on = Platform.Host.Power[id] is { Control: false } ? Platform.State.Power[id].On : Platform.State.Power[id].Votes[request.Agent.AgentId - 1];
        reply.WriteUInt32(on ? On : Off);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.PowerDomain, i => Platform.Model.PowerDomains[i].Name);
}
