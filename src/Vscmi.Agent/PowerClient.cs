using static Vscmi.Protocol.Messages.PowerMessages;

namespace Vscmi.Agent;

/// <summary>Power domain management (0x11).</summary>
public sealed class PowerClient : ProtocolClient
{
    /// <summary>The power_state word: a state id and the on/off type bit (reference 2.2).</summary>
    private static class Word
    {
        public const uint StateIdMask = PowerBits.PowerStateGet.Response.PowerState.StateIdMask;
        public const uint StateType = PowerBits.PowerStateGet.Response.PowerState.StateType;
    }

    /// <summary>Generic on.</summary>
    public const uint On = 0x00000000;

    /// <summary>Generic off.</summary>
    public const uint Off = Word.StateType;

    internal PowerClient(ScmiClient client)
        : base(client, ScmiProtocolId.POWER)
    {
    }

    /// <summary>Number of power domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumDomains;

    /// <summary>POWER_DOMAIN_ATTRIBUTES (+ POWER_DOMAIN_NAME_GET for long names).</summary>
    public async Task<PowerDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new PowerDomainAttributesRequest(domainId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new PowerDomainNameGetRequest(domainId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new PowerDomainInfo(domainId, name, a.StateChangeNotify, a.AsyncStateSet, a.SyncStateSet);
    }

    /// <summary>POWER_STATE_SET (synchronous).</summary>
    public Task SetStateAsync(uint domainId, uint powerState, CancellationToken cancellationToken = default) =>
        CallAsync(new PowerStateSetRequest(Async: false, domainId, powerState & Word.StateIdMask, (powerState & Word.StateType) != 0 ? 1u : 0), cancellationToken);

    /// <summary>POWER_STATE_GET: the power_state word.</summary>
    public async Task<uint> GetStateAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var s = await CallAsync(new PowerStateGetRequest(domainId), cancellationToken).ConfigureAwait(false);
        return (s.StateType != 0 ? Word.StateType : 0) | s.StateId;
    }

    /// <summary>POWER_STATE_NOTIFY.</summary>
    public Task NotifyStateAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new PowerStateNotifyRequest(domainId, enable), cancellationToken);

    /// <summary>POWER_STATE_CHANGE_REQUESTED_NOTIFY.</summary>
    public Task NotifyStateChangeRequestedAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new PowerStateChangeRequestedNotifyRequest(domainId, enable), cancellationToken);
}

/// <summary>A power domain.</summary>
public sealed record PowerDomainInfo(uint Id, string Name, bool NotifiesStateChanges, bool AsyncSet, bool SyncSet);
