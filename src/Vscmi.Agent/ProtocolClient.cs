namespace Vscmi.Agent;

/// <summary>The commands every protocol has, and the plumbing of the typed clients.</summary>
/// <remarks>
/// Requests and replies go through the records generated from the message descriptions
/// (<c>Vscmi.Protocol.Messages</c>), so no client names a field by string or unpacks a word by hand.
/// </remarks>
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
        (await CommonAsync(new BaseMessages.ProtocolVersionRequest(), cancellationToken).ConfigureAwait(false)).Version;

    /// <summary>PROTOCOL_ATTRIBUTES, as decoded fields (each protocol's typed variant names them).</summary>
    public Task<FieldSet> GetProtocolAttributesAsync(CancellationToken cancellationToken = default) =>
        Client.CallAsync(Protocol, (byte)BaseMessageId.PROTOCOL_ATTRIBUTES, new FieldSet(), cancellationToken);

    /// <summary>PROTOCOL_MESSAGE_ATTRIBUTES: null when the message is not implemented (NOT_FOUND).</summary>
    public async Task<uint?> GetMessageAttributesAsync(byte messageId, CancellationToken cancellationToken = default)
    {
        IScmiRequest request = new BaseMessages.ProtocolMessageAttributesRequest(messageId);
        var response = await Client.RequestAsync(Protocol, request.MessageId, request.ToFields(), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.Status == (int)ScmiStatus.NOT_FOUND)
            return null;
        return BaseMessages.ProtocolMessageAttributesResponse.From(response.EnsureSuccess()).Attributes;
    }

    /// <summary>NEGOTIATE_PROTOCOL_VERSION: true when the platform agrees to behave as <paramref name="version"/>.</summary>
    public async Task<bool> NegotiateVersionAsync(uint version, CancellationToken cancellationToken = default)
    {
        IScmiRequest request = new BaseMessages.NegotiateProtocolVersionRequest(version);
        var response = await Client.RequestAsync(Protocol, request.MessageId, request.ToFields(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Status == 0 || (response.Status == (int)ScmiStatus.NOT_SUPPORTED ? false : throw new ScmiStatusException("NEGOTIATE_PROTOCOL_VERSION", response.Status));
    }

    /// <summary>Calls a command and reads its return values (non-SUCCESS throws).</summary>
    protected Task<TResponse> CallAsync<TResponse>(IScmiRequest<TResponse> request, CancellationToken cancellationToken)
        where TResponse : IScmiRecord<TResponse> =>
        Client.CallAsync(request, cancellationToken);

    /// <summary>
    /// Calls an asynchronous command and returns its delayed response's values; a non-SUCCESS
    /// status of either throws <see cref="ScmiStatusException"/>.
    /// </summary>
    protected async Task<TDelayed> CallAndWaitAsync<TDelayed>(IScmiRequest request, CancellationToken cancellationToken)
        where TDelayed : IScmiRecord<TDelayed>
    {
        var name = ScmiCatalog.Get(Protocol).FindMessage(request.MessageId)?.Name ?? $"message 0x{request.MessageId:X2}";
        var response = await Client.RequestAsync(request, expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, name, cancellationToken).ConfigureAwait(false);
        if (delayed.Status != 0)
            throw new ScmiStatusException($"{name} (delayed)", delayed.Status!.Value);
        return TDelayed.From(delayed.Fields);
    }

    /// <summary>
    /// Walks a multi-part list (reference 1.7): index += returned until remaining = 0. Stops on an
    /// empty part too, as Linux does, so a broken platform cannot loop it forever.
    /// </summary>
    protected async IAsyncEnumerable<TEntry> ListAsync<TResponse, TEntry>(Func<uint, IScmiRequest<TResponse>> request,
        Func<TResponse, (IReadOnlyList<TEntry> Part, uint Remaining)> part, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResponse : IScmiRecord<TResponse>
    {
        for (var index = 0u; ;)
        {
            var (entries, remaining) = part(await CallAsync(request(index), cancellationToken).ConfigureAwait(false));
            foreach (var entry in entries)
                yield return entry;
            index += (uint)entries.Count;
            if (entries.Count == 0 || remaining == 0)
                yield break;
        }
    }

    /// <summary>The short name, or the extended one (from <paramref name="nameGet"/>) when the attributes say there is one.</summary>
    protected async Task<string> FullNameAsync<TResponse>(string shortName, bool? extended, IScmiRequest<TResponse> nameGet, Func<TResponse, string> name,
        CancellationToken cancellationToken)
        where TResponse : IScmiRecord<TResponse> =>
        extended == true ? name(await CallAsync(nameGet, cancellationToken).ConfigureAwait(false)) : shortName;

    /// <summary>One of the commands every protocol has (same layout in each, reference 1.4), sent to this protocol.</summary>
    private async Task<TResponse> CommonAsync<TResponse>(IScmiRequest<TResponse> shape, CancellationToken cancellationToken)
        where TResponse : IScmiRecord<TResponse> =>
        TResponse.From(await Client.CallAsync(Protocol, shape.MessageId, shape.ToFields(), cancellationToken).ConfigureAwait(false));
}
