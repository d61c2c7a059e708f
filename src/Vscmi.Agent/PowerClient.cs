using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Agent;

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
