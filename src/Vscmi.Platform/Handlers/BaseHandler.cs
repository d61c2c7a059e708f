using DevicePermissionFlags = Vscmi.Protocol.Fields.BaseBits.BaseSetDevicePermissions.Request.Flags;
using ProtocolAttributesWord = Vscmi.Protocol.Fields.BaseBits.ProtocolAttributes.Response.Attributes;
using ProtocolPermissionFlags = Vscmi.Protocol.Fields.BaseBits.BaseSetProtocolPermissions.Request.Flags;
using ResetAgentFlags = Vscmi.Protocol.Fields.BaseBits.BaseResetAgentConfiguration.Request.Flags;

namespace Vscmi.Platform.Handlers;

/// <summary>Base protocol (0x10; reference 2.1).</summary>
internal sealed class BaseHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.BASE)
{
    private const uint CallingAgent = 0xFFFFFFFF;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply)
    {
        // 7:0 protocols excluding Base, 15:8 agents.
        var protocols = (uint)VisibleProtocols(agent).Count();
        reply.WriteUInt32(BitField.Put(protocols, ProtocolAttributesWord.NumProtocolsMask, ProtocolAttributesWord.NumProtocolsShift)
            | BitField.Put((uint)Platform.Model.Agents.Count, ProtocolAttributesWord.NumAgentsMask, ProtocolAttributesWord.NumAgentsShift));
    }

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)BaseMessageId.BASE_DISCOVER_VENDOR, DiscoverVendor),
        ((byte)BaseMessageId.BASE_DISCOVER_SUB_VENDOR, DiscoverSubVendor),
        ((byte)BaseMessageId.BASE_DISCOVER_IMPLEMENTATION_VERSION, DiscoverImplementationVersion),
        ((byte)BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, DiscoverListProtocols),
        ((byte)BaseMessageId.BASE_DISCOVER_AGENT, DiscoverAgent),
        ((byte)BaseMessageId.BASE_NOTIFY_ERRORS, NotifyErrors),
        ((byte)BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, SetDevicePermissions),
        ((byte)BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, SetProtocolPermissions),
        ((byte)BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ResetAgentConfiguration),
    ];

    private IEnumerable<byte> VisibleProtocols(AgentSession agent) =>
        Platform.Protocols.Select(p => (byte)p)
            .Where(p => p != (byte)ScmiProtocolId.BASE && (agent.Trusted || Platform.Table.Handler(p)?.TrustedOnly != true));

    private ScmiStatus DiscoverVendor(ref ScmiRequest request, ref ScmiWriter reply)
    {
        WriteShortName(ref reply, Platform.Model.Platform.Vendor);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus DiscoverSubVendor(ref ScmiRequest request, ref ScmiWriter reply)
    {
        WriteShortName(ref reply, Platform.Model.Platform.SubVendor);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus DiscoverImplementationVersion(ref ScmiRequest request, ref ScmiWriter reply)
    {
        reply.WriteUInt32(Platform.Model.Platform.ImplementationVersion);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>Protocol ids packed four per word; as many as fit; the count word has no "remaining" (reference 1.7).</summary>
    private ScmiStatus DiscoverListProtocols(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var skip = request.Params.ReadUInt32();
        Span<byte> ids = stackalloc byte[256];
        var total = 0;
        foreach (var p in VisibleProtocols(request.Agent))
            ids[total++] = p;
        if (skip > total)
            return ScmiStatus.INVALID_PARAMETERS;
        var capacity = (reply.Remaining - 4) / 4 * 4;
        var count = Math.Min(total - (int)skip, capacity);
        reply.WriteUInt32((uint)count);
        reply.WriteBytes(ids.Slice((int)skip, count));
        reply.WriteZeros((4 - (count % 4)) % 4);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus DiscoverAgent(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var id = request.Params.ReadUInt32();
        if (id == CallingAgent)
            id = (uint)request.Agent.AgentId;
        if (id > Platform.Model.Agents.Count)
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(id);
        WriteShortName(ref reply, id == 0 ? "platform" : Platform.Model.Agents[(int)id - 1].Name);
        return ScmiStatus.SUCCESS;
    }

    private static ScmiStatus NotifyErrors(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!request.Agent.HasP2A)
            return ScmiStatus.NOT_SUPPORTED;
        request.Agent.Subscribe((byte)ScmiProtocolId.BASE, (byte)BaseMessageId.BASE_NOTIFY_ERRORS, 0, ReadEnable(ref request));
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A trusted agent allows or denies another agent every resource of a device (the model's [[device]]).</summary>
    private ScmiStatus SetDevicePermissions(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var agent = request.Params.ReadUInt32();
        var device = request.Params.ReadUInt32();
        var allow = (request.Params.ReadUInt32() & DevicePermissionFlags.Allow) != 0;
        if (!request.Agent.Trusted)
            return ScmiStatus.DENIED;
        if (agent == 0 || agent > Platform.Model.Agents.Count || device >= Platform.Model.Devices.Count)
            return ScmiStatus.NOT_FOUND;
        Platform.State.SetDeviceAllowed((int)agent, (int)device, allow);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>
    /// A trusted agent allows or denies another agent one protocol on one device: the device's
    /// resources of that protocol answer DENIED, its other resources and other devices are
    /// untouched. device_id is always a device (no wildcard). Statuses (docs/conformance.md):
    /// unknown agent, device or protocol NOT_FOUND; the Base protocol, or a protocol the device
    /// has no resources of, NOT_SUPPORTED (there is nothing to configure).
    /// </summary>
    private ScmiStatus SetProtocolPermissions(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var agent = request.Params.ReadUInt32();
        var device = request.Params.ReadUInt32();
        var protocol = (byte)request.Params.ReadUInt32();
        var allow = (request.Params.ReadUInt32() & ProtocolPermissionFlags.Allow) != 0;
        if (!request.Agent.Trusted)
            return ScmiStatus.DENIED;
        if (agent == 0 || agent > Platform.Model.Agents.Count || device >= Platform.Model.Devices.Count || Platform.Table.Handler(protocol) is null)
            return ScmiStatus.NOT_FOUND;
        if (protocol == (byte)ScmiProtocolId.BASE)
            return ScmiStatus.NOT_SUPPORTED;
        var kinds = ScmiPlatform.ResourceKindsOf((ScmiProtocolId)protocol);
        if (!kinds.Any(Platform.Model.Devices[(int)device].Resources.ContainsKey))
            return ScmiStatus.NOT_SUPPORTED;
        Platform.State.SetDeviceProtocolAllowed((int)agent, (int)device, kinds, allow);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ResetAgentConfiguration(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var agent = request.Params.ReadUInt32();
        var resetPermissions = (request.Params.ReadUInt32() & ResetAgentFlags.ResetPermissions) != 0;
        if (!request.Agent.Trusted)
            return ScmiStatus.DENIED;
        if (agent == 0 || agent > Platform.Model.Agents.Count)
            return ScmiStatus.NOT_FOUND;
        ResetAgent((int)agent, resetPermissions);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>
    /// An agent's requests and votes back to the model's defaults, shared state re-arbitrated, its
    /// held resets released (and its permissions, when asked). Caller holds the platform lock.
    /// </summary>
    internal void ResetAgent(int agent, bool resetPermissions)
    {
        if (resetPermissions)
            Platform.State.ResetPermissions(agent);
        foreach (var clock in Platform.State.Clocks)
            clock.ResetVote(agent);
        foreach (var domain in Platform.State.Power)
            domain.ResetVote(agent);
        foreach (var reset in Platform.State.Resets)
        {
            if (reset.Holder == agent)
                (reset.Holder, reset.Asserted) = (0, false);
        }

        if (Platform.Table.Handler((byte)ScmiProtocolId.POWER) is PowerHandler power)
            power.Rearbitrate(0);
        for (var domain = 0; domain < Platform.State.Perf.Length; domain++)
        {
            Platform.State.Perf[domain].Requests[agent - 1] = null;
            if (Platform.Table.Handler((byte)ScmiProtocolId.PERF) is PerfHandler perf)
                perf.Recompute(0, domain);
        }

        Platform.ResetSessionsOf(agent);
    }
}
