using static Vscmi.Protocol.Messages.PowercapMessages;

namespace Vscmi.Agent;

/// <summary>Power capping (0x18).</summary>
public sealed class PowercapClient : ProtocolClient
{
    /// <summary>parent_id of a domain with no parent (reference 2.9).</summary>
    private const uint NoParent = uint.MaxValue;

    internal PowercapClient(ScmiClient client)
        : base(client, ScmiProtocolId.POWERCAP)
    {
    }

    /// <summary>Number of power capping domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumDomains;

    /// <summary>POWERCAP_DOMAIN_ATTRIBUTES (+ POWERCAP_DOMAIN_NAME_GET for long names).</summary>
    public async Task<PowercapDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new PowercapDomainAttributesRequest(domainId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new PowercapDomainNameGetRequest(domainId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new PowercapDomainInfo(domainId, name, a.CapConfigurable, a.PaiConfigurable, a.AsyncCapSet, (int)a.PowerUnit, a.MinPai, a.MaxPai, a.PaiStep,
            a.MinPowerCap, a.MaxPowerCap, a.PowerCapStep, a.SustainablePower, a.Accuracy, a.ParentId == NoParent ? null : a.ParentId);
    }

    /// <summary>POWERCAP_CAP_GET (0 means capping is disabled, Powercap v2.0).</summary>
    public async Task<uint> GetCapAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new PowercapCapGetRequest(domainId), cancellationToken).ConfigureAwait(false)).PowerCap;

    /// <summary>POWERCAP_CAP_SET (synchronous).</summary>
    public Task SetCapAsync(uint domainId, uint cap, CancellationToken cancellationToken = default) =>
        CallAsync(new PowercapCapSetRequest(domainId, IgnoreDelayedResponse: false, Async: false, cap), cancellationToken);

    /// <summary>POWERCAP_CAP_SET with the asynchronous flag: completes with the cap the delayed response reports.</summary>
    public async Task<uint> SetCapAndWaitAsync(uint domainId, uint cap, CancellationToken cancellationToken = default) =>
        (await CallAndWaitAsync<PowercapCapSetDelayed>(new PowercapCapSetRequest(domainId, IgnoreDelayedResponse: false, Async: true, cap), cancellationToken)
            .ConfigureAwait(false)).PowerCap;

    /// <summary>POWERCAP_PAI_GET: the power averaging interval in microseconds.</summary>
    public async Task<uint> GetPaiAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new PowercapPaiGetRequest(domainId), cancellationToken).ConfigureAwait(false)).Pai;

    /// <summary>POWERCAP_PAI_SET.</summary>
    public Task SetPaiAsync(uint domainId, uint pai, CancellationToken cancellationToken = default) =>
        CallAsync(new PowercapPaiSetRequest(domainId, pai), cancellationToken);

    /// <summary>POWERCAP_MEASUREMENTS_GET: power and averaging interval.</summary>
    public async Task<(uint Power, uint Pai)> GetMeasurementsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var m = await CallAsync(new PowercapMeasurementsGetRequest(domainId), cancellationToken).ConfigureAwait(false);
        return (m.Power, m.Pai);
    }

    /// <summary>POWERCAP_CAP_NOTIFY.</summary>
    public Task NotifyCapAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new PowercapCapNotifyRequest(domainId, enable), cancellationToken);

    /// <summary>POWERCAP_MEASUREMENTS_NOTIFY with the power thresholds that trigger it.</summary>
    public Task NotifyMeasurementsAsync(uint domainId, bool enable, uint thresholdLow, uint thresholdHigh, CancellationToken cancellationToken = default) =>
        CallAsync(new PowercapMeasurementsNotifyRequest(domainId, enable, thresholdLow, thresholdHigh), cancellationToken);

    /// <summary>POWERCAP_DESCRIBE_FASTCHANNEL.</summary>
    public Task<PowercapDescribeFastchannelResponse> DescribeFastChannelAsync(uint domainId, uint messageId, CancellationToken cancellationToken = default) =>
        CallAsync(new PowercapDescribeFastchannelRequest(domainId, messageId), cancellationToken);
}

/// <summary>A power capping domain (Linux's validation rules in reference 2.9).</summary>
public sealed record PowercapDomainInfo(uint Id, string Name, bool CapConfigurable, bool PaiConfigurable, bool AsyncCapSet, int PowerUnit,
    uint MinPai, uint MaxPai, uint PaiStep, uint MinCap, uint MaxCap, uint CapStep, uint SustainablePower, uint Accuracy, uint? ParentId);
