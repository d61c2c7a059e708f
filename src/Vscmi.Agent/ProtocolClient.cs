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
