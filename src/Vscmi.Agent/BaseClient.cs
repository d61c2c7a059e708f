using static Vscmi.Protocol.Messages.BaseMessages;

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
        var attributes = await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false);
        var vendor = (await CallAsync(new BaseDiscoverVendorRequest(), cancellationToken).ConfigureAwait(false)).VendorIdentifier;
        string subVendor;
        try
        {
            subVendor = (await CallAsync(new BaseDiscoverSubVendorRequest(), cancellationToken).ConfigureAwait(false)).SubVendorIdentifier;
        }
        catch (ScmiStatusException)
        {
            subVendor = "";
        }

        var implementation = (await CallAsync(new BaseDiscoverImplementationVersionRequest(), cancellationToken).ConfigureAwait(false)).ImplementationVersion;
        var count = (int)attributes.NumProtocols;
        var protocols = new List<byte>();
        while (protocols.Count < count)
        {
            var part = (await CallAsync(new BaseDiscoverListProtocolsRequest((uint)protocols.Count), cancellationToken).ConfigureAwait(false)).Protocols;
            if (part.Count == 0)
                break;
            protocols.AddRange(part.Select(p => (byte)p));
        }

        return new PlatformInfo(version, vendor, subVendor, implementation, (int)attributes.NumAgents, protocols);
    }

    /// <summary>BASE_DISCOVER_AGENT (0xFFFFFFFF = the calling agent).</summary>
    public async Task<AgentInfo> DiscoverAgentAsync(uint agentId, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(new BaseDiscoverAgentRequest(agentId), cancellationToken).ConfigureAwait(false);
        return new AgentInfo(reply.AgentId, reply.Name);
    }

    /// <summary>BASE_NOTIFY_ERRORS.</summary>
    public Task NotifyErrorsAsync(bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new BaseNotifyErrorsRequest(enable), cancellationToken);

    /// <summary>BASE_SET_DEVICE_PERMISSIONS.</summary>
    public Task SetDevicePermissionsAsync(uint agentId, uint deviceId, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync(new BaseSetDevicePermissionsRequest(agentId, deviceId, allow), cancellationToken);

    /// <summary>BASE_SET_PROTOCOL_PERMISSIONS.</summary>
    public Task SetProtocolPermissionsAsync(uint agentId, uint deviceId, ScmiProtocolId protocol, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync(new BaseSetProtocolPermissionsRequest(agentId, deviceId, (uint)protocol, allow), cancellationToken);

    /// <summary>BASE_RESET_AGENT_CONFIGURATION.</summary>
    public Task ResetAgentConfigurationAsync(uint agentId, bool resetPermissions, CancellationToken cancellationToken = default) =>
        CallAsync(new BaseResetAgentConfigurationRequest(agentId, resetPermissions), cancellationToken);
}

/// <summary>What Base discovery found.</summary>
public sealed record PlatformInfo(uint BaseVersion, string Vendor, string SubVendor, uint ImplementationVersion, int AgentCount, IReadOnlyList<byte> Protocols);

/// <summary>An agent as the platform names it.</summary>
public sealed record AgentInfo(uint Id, string Name);
