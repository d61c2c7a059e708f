using Vscmi.Platform.Handlers;

namespace Vscmi.Platform;

/// <summary>
/// Dispatch as data (STYLE 8): (protocol, message) → handler, with the message's description
/// (name, minimum length, request layout) from the protocol catalog. PROTOCOL_MESSAGE_ATTRIBUTES
/// answers from this table; the four common commands are added here for every protocol.
/// </summary>
internal sealed class MessageTable
{
    private readonly Entry?[][] _entries = new Entry?[256][];
    private readonly ProtocolHandler?[] _handlers = new ProtocolHandler?[256];

    public MessageTable(IEnumerable<ProtocolHandler> handlers)
    {
        foreach (var handler in handlers)
        {
            var id = (byte)handler.Id;
            _handlers[id] = handler;
            var row = _entries[id] = new Entry?[256];
            Add(row, handler, (byte)BaseMessageId.PROTOCOL_VERSION, ProtocolVersion);
            Add(row, handler, (byte)BaseMessageId.PROTOCOL_ATTRIBUTES, (ref ScmiRequest r, ref ScmiWriter w) =>
            {
                handler.WriteProtocolAttributes(r.Agent, ref w);
                return ScmiStatus.SUCCESS;
            });
            Add(row, handler, (byte)BaseMessageId.PROTOCOL_MESSAGE_ATTRIBUTES, (ref ScmiRequest r, ref ScmiWriter w) => MessageAttributes(handler, ref r, ref w));
            Add(row, handler, (byte)BaseMessageId.NEGOTIATE_PROTOCOL_VERSION, NegotiateVersion);
            foreach (var (messageId, command) in handler.Commands())
                Add(row, handler, messageId, command);
        }
    }

    public IEnumerable<ScmiProtocolId> Protocols => _handlers.OfType<ProtocolHandler>().Select(h => h.Id);

    public Entry? Find(byte protocolId, byte messageId) => _entries[protocolId]?[messageId];

    public ProtocolHandler? Handler(byte protocolId) => _handlers[protocolId];

    /// <summary>Swaps one command's handler (tests inject a failing one to prove the dispatcher contains it).</summary>
    internal void Replace(byte protocolId, byte messageId, MessageHandler handler)
    {
        var entry = Find(protocolId, messageId) ?? throw new ArgumentException($"no message 0x{messageId:X2} in protocol 0x{protocolId:X2}");
        _entries[protocolId]![messageId] = _all[entry.Index] = entry with { Handler = handler };
    }

    /// <summary>How many commands the table has; entries are numbered 0..Count-1 (<see cref="Entry.Index"/>).</summary>
    public int Count => _all.Count;

    /// <summary>The entry numbered <paramref name="index"/>.</summary>
    public Entry At(int index) => _all[index];

    private readonly List<Entry> _all = [];

    private void Add(Entry?[] row, ProtocolHandler handler, byte messageId, MessageHandler command)
    {
        var spec = handler.Spec.FindMessage(messageId);
        if (spec is null && ScmiCatalog.FindMessage((byte)handler.Id, messageId) is not null)
            return; // newer than the release the platform presents: NOT_SUPPORTED, and NOT_FOUND in PROTOCOL_MESSAGE_ATTRIBUTES
        if (spec is null)
            throw new InvalidOperationException($"{handler.Id} message 0x{messageId:X2} has no description in the catalog");
        var entry = new Entry(spec, command, handler, _all.Count);
        _all.Add(entry);
        row[messageId] = entry;
    }

    private static ScmiStatus ProtocolVersion(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var protocol = request.Header.ProtocolId;
        reply.WriteUInt32(request.Agent.Platform.Table.Handler(protocol)!.Spec.Version);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus MessageAttributes(ProtocolHandler handler, ref ScmiRequest request, ref ScmiWriter reply)
    {
        var messageId = request.Params.ReadUInt32();
        // Unimplemented messages answer NOT_FOUND: Linux probes optional commands this way (reference 1.4, 7 #5).
        if (messageId > 0xFF || Find((byte)handler.Id, (byte)messageId) is null)
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(handler.MessageAttributes((byte)messageId));
        return ScmiStatus.SUCCESS;
    }

    /// <summary>Accepts the same major version with a minor no newer than ours (imx-sm's rule; reference 1.4).</summary>
    private static ScmiStatus NegotiateVersion(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var requested = request.Params.ReadUInt32();
        var protocol = request.Header.ProtocolId;
        var ours = request.Agent.Platform.Table.Handler(protocol)!.Spec.Version;
        if (!ScmiVersion.CanServe(ours, requested))
            return ScmiStatus.NOT_SUPPORTED;
        request.Agent.SetNegotiated(protocol, requested);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>One table row.</summary>
    /// <summary>One command: its description, handler and protocol, and its place among the table's entries (metrics count by it).</summary>
    internal sealed record Entry(MessageSpec Spec, MessageHandler Handler, ProtocolHandler Protocol, int Index)
    {
        /// <summary>Whether a successful one changes a resource (the dashboard's "changed last by").</summary>
        public bool IsChange { get; } = ScmiPlatform.IsChange(Spec.Name);
    }
}
