using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>Reset domain management (0x16).</summary>
public sealed class ResetClient : ProtocolClient
{
    internal ResetClient(ScmiClient client)
        : base(client, ScmiProtocolId.RESET)
    {
    }

    /// <summary>Number of reset domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>RESET_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<ResetDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)ResetMessageId.RESET_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)ResetMessageId.RESET_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new ResetDomainInfo(domainId, name, (uint)a.GetUInt64("latency_us"), a.GetUInt64("async_reset") != 0, a.GetUInt64("reset_notify") != 0);
    }

    /// <summary>RESET, autonomous (assert then deassert) cold reset.</summary>
    public Task ResetAsync(uint domainId, CancellationToken cancellationToken = default) => SendAsync(domainId, autonomous: 1, assert: 0, cancellationToken);

    /// <summary>RESET with explicit assert (true) or deassert (false).</summary>
    public Task SetAssertedAsync(uint domainId, bool asserted, CancellationToken cancellationToken = default) =>
        SendAsync(domainId, autonomous: 0, assert: asserted ? 1u : 0, cancellationToken);

    /// <summary>RESET_NOTIFY.</summary>
    public Task NotifyAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ResetMessageId.RESET_NOTIFY, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    private Task<Protocol.Schema.FieldSet> SendAsync(uint domainId, uint autonomous, uint assert, CancellationToken cancellationToken) =>
        CallAsync((byte)ResetMessageId.RESET, cancellationToken, ("domain_id", domainId), ("autonomous", autonomous), ("explicit_assert", assert), ("async", 0), ("reset_id", 0), ("reset_type", 0));
}

/// <summary>A reset domain.</summary>
public sealed record ResetDomainInfo(uint Id, string Name, uint LatencyUs, bool AsyncReset, bool Notifies);
