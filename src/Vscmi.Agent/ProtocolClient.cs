using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>The commands every protocol has, and the plumbing of the typed clients.</summary>
public abstract class ProtocolClient
{
    private protected ProtocolClient(ScmiClient client, ScmiProtocolId protocol)
    {
        Client = client;
        Protocol = protocol;
    }

    /// <summary>The agent.</summary>
    protected ScmiClient Client { get; }

    /// <summary>The protocol id.</summary>
    public ScmiProtocolId Protocol { get; }

    /// <summary>The version this library speaks (SCMI v3.2).</summary>
    public uint SupportedVersion => ScmiCatalog.Get(Protocol).Version;

    /// <summary>PROTOCOL_VERSION.</summary>
    public async Task<uint> GetVersionAsync(CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync(0x0, cancellationToken).ConfigureAwait(false)).GetUInt64("version");

    /// <summary>PROTOCOL_ATTRIBUTES, as decoded fields (each protocol's typed variant names them).</summary>
    public Task<FieldSet> GetProtocolAttributesAsync(CancellationToken cancellationToken = default) => CallAsync(0x1, cancellationToken);

    /// <summary>PROTOCOL_MESSAGE_ATTRIBUTES: null when the message is not implemented (NOT_FOUND).</summary>
    public async Task<uint?> GetMessageAttributesAsync(byte messageId, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, 0x2, Args(("message_id", messageId)), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.Status == (int)ScmiStatus.NOT_FOUND)
            return null;
        return (uint)response.EnsureSuccess().GetUInt64("attributes");
    }

    /// <summary>NEGOTIATE_PROTOCOL_VERSION: true when the platform agrees to behave as <paramref name="version"/>.</summary>
    public async Task<bool> NegotiateVersionAsync(uint version, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, 0x10, Args(("version", version)), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Status == 0 || (response.Status == (int)ScmiStatus.NOT_SUPPORTED ? false : throw new ScmiStatusException("NEGOTIATE_PROTOCOL_VERSION", response.Status));
    }

    /// <summary>Calls a command and returns its return values (non-SUCCESS throws).</summary>
    protected Task<FieldSet> CallAsync(byte messageId, CancellationToken cancellationToken, params (string Name, ulong Value)[] args) =>
        Client.CallAsync(Protocol, messageId, Args(args), cancellationToken);

    /// <summary>Builds parameters from name/value pairs (signed values are passed as their two's complement).</summary>
    protected static FieldSet Args(params (string Name, ulong Value)[] args)
    {
        var set = new FieldSet();
        foreach (var (name, value) in args)
            set.Set(name, value);
        return set;
    }

    /// <summary>
    /// Walks a multi-part list (reference 1.7): index += returned until remaining = 0. Stops on an
    /// empty part too, as Linux does, so a broken platform cannot loop it forever.
    /// </summary>
    protected async IAsyncEnumerable<FieldSet> ListAsync(byte messageId, string indexName, string listName, Func<int, (string, ulong)[]> args,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var index = 0; ;)
        {
            var reply = await CallAsync(messageId, cancellationToken, [.. args(index), (indexName, (ulong)index)]).ConfigureAwait(false);
            var part = reply[listName] switch
            {
                RecordListValue records => records.Items,
                NumberListValue numbers => numbers.Items.Select(n => new FieldSet().Set("value", n)).ToList(),
                _ => [],
            };
            foreach (var entry in part)
                yield return entry;
            index += part.Count;
            if (part.Count == 0 || !reply.TryGet("remaining", out _) || reply.GetUInt64("remaining") == 0)
                yield break;
        }
    }

    /// <summary>The short name, or the extended one when the attributes say there is one.</summary>
    protected async Task<string> FullNameAsync(FieldSet attributes, bool extended, byte nameGet, uint id, CancellationToken cancellationToken, string idName = "domain_id", params (string, ulong)[] extra) =>
        extended
            ? (await CallAsync(nameGet, cancellationToken, [(idName, id), .. extra]).ConfigureAwait(false)).GetText("name")
            : attributes.GetText("name");
}

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

/// <summary>Power domain management (0x11).</summary>
public sealed class PowerClient : ProtocolClient
{
    /// <summary>Generic on.</summary>
    public const uint On = 0x00000000;

    /// <summary>Generic off.</summary>
    public const uint Off = 0x40000000;

    internal PowerClient(ScmiClient client)
        : base(client, ScmiProtocolId.POWER)
    {
    }

    /// <summary>Number of power domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>POWER_DOMAIN_ATTRIBUTES (+ POWER_DOMAIN_NAME_GET for long names).</summary>
    public async Task<PowerDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PowerMessageId.POWER_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PowerMessageId.POWER_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new PowerDomainInfo(domainId, name, a.GetUInt64("state_change_notify") != 0, a.GetUInt64("async_state_set") != 0, a.GetUInt64("sync_state_set") != 0);
    }

    /// <summary>POWER_STATE_SET (synchronous).</summary>
    public Task SetStateAsync(uint domainId, uint powerState, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowerMessageId.POWER_STATE_SET, cancellationToken, ("async", 0), ("domain_id", domainId), ("state_id", powerState & 0x0FFFFFFF), ("state_type", (powerState >> 30) & 1));

    /// <summary>POWER_STATE_GET: the power_state word.</summary>
    public async Task<uint> GetStateAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var s = await CallAsync((byte)PowerMessageId.POWER_STATE_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        return (uint)((s.GetUInt64("state_type") << 30) | s.GetUInt64("state_id"));
    }

    /// <summary>POWER_STATE_NOTIFY.</summary>
    public Task NotifyStateAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowerMessageId.POWER_STATE_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    /// <summary>POWER_STATE_CHANGE_REQUESTED_NOTIFY.</summary>
    public Task NotifyStateChangeRequestedAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));
}

/// <summary>A power domain.</summary>
public sealed record PowerDomainInfo(uint Id, string Name, bool NotifiesStateChanges, bool AsyncSet, bool SyncSet);

/// <summary>System power management (0x12).</summary>
public sealed class SystemPowerClient : ProtocolClient
{
    internal SystemPowerClient(ScmiClient client)
        : base(client, ScmiProtocolId.SYSTEM)
    {
    }

    /// <summary>SYSTEM_POWER_STATE_SET: 0 shutdown, 1 cold reset, 2 warm reset, 4 suspend.</summary>
    public Task SetStateAsync(uint systemState, bool graceful, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_SET, cancellationToken, ("graceful", graceful ? 1u : 0), ("system_state", systemState));

    /// <summary>SYSTEM_POWER_STATE_GET.</summary>
    public async Task<uint> GetStateAsync(CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_GET, cancellationToken).ConfigureAwait(false)).GetUInt64("system_state");

    /// <summary>SYSTEM_POWER_STATE_NOTIFY.</summary>
    public Task NotifyAsync(bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, cancellationToken, ("notify_enable", enable ? 1u : 0));
}
