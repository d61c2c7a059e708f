using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Agent;

/// <summary>Base protocol (0x10).</summary>
public sealed class BaseClient : ProtocolClient
{
    internal BaseClient(ScmiClient client)
        : base(client, ScmiProtocolId.BASE)
    {
    }

    /// <summary>The platform's identity and what it implements.</summary>
    public async Task<PlatformInfo> DiscoverAsync(CancellationToken cancellationToken = default)
    {
        var version = await GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var attributes = await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false);
        var vendor = (await CallAsync((byte)BaseMessageId.BASE_DISCOVER_VENDOR, cancellationToken).ConfigureAwait(false)).GetText("vendor_identifier");
        string subVendor;
        try
        {
            subVendor = (await CallAsync((byte)BaseMessageId.BASE_DISCOVER_SUB_VENDOR, cancellationToken).ConfigureAwait(false)).GetText("sub_vendor_identifier");
        }
        catch (ScmiStatusException)
        {
            subVendor = "";
        }

        var implementation = (uint)(await CallAsync((byte)BaseMessageId.BASE_DISCOVER_IMPLEMENTATION_VERSION, cancellationToken).ConfigureAwait(false)).GetUInt64("implementation_version");
        var count = (int)attributes.GetUInt64("num_protocols");
        var protocols = new List<byte>();
        while (protocols.Count < count)
        {
            var part = (await CallAsync((byte)BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, cancellationToken, ("skip", (ulong)protocols.Count)).ConfigureAwait(false)).GetNumbers("protocols");
            if (part.Count == 0)
                break;
            protocols.AddRange(part.Select(p => (byte)p));
        }

        return new PlatformInfo(version, vendor, subVendor, implementation, (int)attributes.GetUInt64("num_agents"), protocols);
    }

    /// <summary>BASE_DISCOVER_AGENT (0xFFFFFFFF = the calling agent).</summary>
    public async Task<AgentInfo> DiscoverAgentAsync(uint agentId, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync((byte)BaseMessageId.BASE_DISCOVER_AGENT, cancellationToken, ("agent_id", agentId)).ConfigureAwait(false);
        return new AgentInfo((uint)reply.GetUInt64("agent_id"), reply.GetText("name"));
    }

    /// <summary>BASE_NOTIFY_ERRORS.</summary>
    public Task NotifyErrorsAsync(bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)BaseMessageId.BASE_NOTIFY_ERRORS, cancellationToken, ("notify_enable", enable ? 1u : 0));

    /// <summary>BASE_SET_DEVICE_PERMISSIONS.</summary>
    public Task SetDevicePermissionsAsync(uint agentId, uint deviceId, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync((byte)BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, cancellationToken, ("agent_id", agentId), ("device_id", deviceId), ("allow", allow ? 1u : 0));

    /// <summary>BASE_SET_PROTOCOL_PERMISSIONS.</summary>
    public Task SetProtocolPermissionsAsync(uint agentId, uint deviceId, ScmiProtocolId protocol, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync((byte)BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, cancellationToken, ("agent_id", agentId), ("device_id", deviceId), ("protocol_id", (ulong)protocol), ("allow", allow ? 1u : 0));

    /// <summary>BASE_RESET_AGENT_CONFIGURATION.</summary>
    public Task ResetAgentConfigurationAsync(uint agentId, bool resetPermissions, CancellationToken cancellationToken = default) =>
        CallAsync((byte)BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, cancellationToken, ("agent_id", agentId), ("reset_permissions", resetPermissions ? 1u : 0));
}

/// <summary>What Base discovery found.</summary>
public sealed record PlatformInfo(uint BaseVersion, string Vendor, string SubVendor, uint ImplementationVersion, int AgentCount, IReadOnlyList<byte> Protocols);

/// <summary>An agent as the platform names it.</summary>
public sealed record AgentInfo(uint Id, string Name);
