using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>Power capping (0x18).</summary>
public sealed class PowercapClient : ProtocolClient
{
    internal PowercapClient(ScmiClient client)
        : base(client, ScmiProtocolId.POWERCAP)
    {
    }

    /// <summary>POWERCAP_DOMAIN_ATTRIBUTES (+ POWERCAP_DOMAIN_NAME_GET for long names).</summary>
    public async Task<PowercapDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PowercapMessageId.POWERCAP_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        uint U(string field) => (uint)a.GetUInt64(field);
        return new PowercapDomainInfo(domainId, name, a.GetUInt64("cap_configurable") != 0, a.GetUInt64("pai_configurable") != 0, a.GetUInt64("async_cap_set") != 0,
            (int)a.GetUInt64("power_unit"), U("min_pai"), U("max_pai"), U("pai_step"), U("min_power_cap"), U("max_power_cap"), U("power_cap_step"),
            U("sustainable_power"), U("accuracy"), U("parent_id") == 0xFFFFFFFF ? null : U("parent_id"));
    }

    /// <summary>POWERCAP_CAP_GET (0 means capping is disabled, Powercap v2.0).</summary>
    public async Task<uint> GetCapAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PowercapMessageId.POWERCAP_CAP_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("power_cap");

    /// <summary>POWERCAP_CAP_SET (synchronous).</summary>
    public Task SetCapAsync(uint domainId, uint cap, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_CAP_SET, cancellationToken, ("domain_id", domainId), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", cap));

    /// <summary>POWERCAP_CAP_SET with the asynchronous flag: completes with the cap the delayed response reports.</summary>
    public async Task<uint> SetCapAndWaitAsync(uint domainId, uint cap, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, (byte)PowercapMessageId.POWERCAP_CAP_SET,
            Args(("domain_id", domainId), ("ignore_delayed_response", 0), ("async", 1), ("power_cap", cap)), expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, "POWERCAP_CAP_SET", cancellationToken).ConfigureAwait(false);
        return delayed.Status == 0 ? (uint)delayed.Fields.GetUInt64("power_cap") : throw new ScmiStatusException("POWERCAP_CAP_SET (delayed)", delayed.Status!.Value);
    }

    /// <summary>POWERCAP_PAI_GET: the power averaging interval in microseconds.</summary>
    public async Task<uint> GetPaiAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PowercapMessageId.POWERCAP_PAI_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("pai");

    /// <summary>POWERCAP_PAI_SET.</summary>
    public Task SetPaiAsync(uint domainId, uint pai, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_PAI_SET, cancellationToken, ("domain_id", domainId), ("pai", pai));

    /// <summary>POWERCAP_MEASUREMENTS_GET: power and averaging interval.</summary>
    public async Task<(uint Power, uint Pai)> GetMeasurementsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var m = await CallAsync((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        return ((uint)m.GetUInt64("power"), (uint)m.GetUInt64("pai"));
    }

    /// <summary>POWERCAP_CAP_NOTIFY.</summary>
    public Task NotifyCapAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_CAP_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    /// <summary>POWERCAP_MEASUREMENTS_NOTIFY with the power thresholds that trigger it.</summary>
    public Task NotifyMeasurementsAsync(uint domainId, bool enable, uint thresholdLow, uint thresholdHigh, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0),
            ("threshold_low", thresholdLow), ("threshold_high", thresholdHigh));

    /// <summary>POWERCAP_DESCRIBE_FASTCHANNEL, as decoded fields.</summary>
    public Task<Protocol.Schema.FieldSet> DescribeFastChannelAsync(uint domainId, uint messageId, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PowercapMessageId.POWERCAP_DESCRIBE_FASTCHANNEL, cancellationToken, ("domain_id", domainId), ("message_id", messageId));
}

/// <summary>A power capping domain (Linux's validation rules in reference 2.9).</summary>
public sealed record PowercapDomainInfo(uint Id, string Name, bool CapConfigurable, bool PaiConfigurable, bool AsyncCapSet, int PowerUnit,
    uint MinPai, uint MaxPai, uint PaiStep, uint MinCap, uint MaxCap, uint CapStep, uint SustainablePower, uint Accuracy, uint? ParentId);
