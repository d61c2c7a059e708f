using static Vscmi.Protocol.Messages.ResetMessages;

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
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumDomains;

    /// <summary>RESET_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<ResetDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new ResetDomainAttributesRequest(domainId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new ResetDomainNameGetRequest(domainId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new ResetDomainInfo(domainId, name, a.LatencyUs, a.AsyncReset, a.ResetNotify);
    }

    /// <summary>RESET, autonomous (assert then deassert) cold reset.</summary>
    public Task ResetAsync(uint domainId, CancellationToken cancellationToken = default) => SendAsync(domainId, autonomous: true, assert: false, cancellationToken);

    /// <summary>RESET with explicit assert (true) or deassert (false).</summary>
    public Task SetAssertedAsync(uint domainId, bool asserted, CancellationToken cancellationToken = default) =>
        SendAsync(domainId, autonomous: false, assert: asserted, cancellationToken);

    /// <summary>RESET_NOTIFY.</summary>
    public Task NotifyAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new ResetNotifyRequest(domainId, enable), cancellationToken);

    private Task<ResetResponse> SendAsync(uint domainId, bool autonomous, bool assert, CancellationToken cancellationToken) =>
        CallAsync(new ResetRequest(domainId, autonomous, assert, Async: false, ResetId: 0, ResetType: 0), cancellationToken);
}

/// <summary>A reset domain.</summary>
public sealed record ResetDomainInfo(uint Id, string Name, uint LatencyUs, bool AsyncReset, bool Notifies);
