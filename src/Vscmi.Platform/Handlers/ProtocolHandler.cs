namespace Vscmi.Platform.Handlers;

/// <summary>What a handler sees of one command: its parameters (already checked against the layout) and the calling agent.</summary>
internal ref struct ScmiRequest
{
    /// <summary>The parameters, positioned at the first one.</summary>
    public ScmiReader Params;

    /// <summary>The calling agent's channel.</summary>
    public AgentSession Agent;

    /// <summary>The command header.</summary>
    public ScmiHeader Header;
}

/// <summary>
/// Runs one command. Parameters are read in layout order; return values are written after the
/// status word into a writer bounded by the channel's maximum payload. The returned status is a
/// value (STYLE 7a): a handler never throws for a bad request.
/// </summary>
internal delegate ScmiStatus MessageHandler(ref ScmiRequest request, ref ScmiWriter reply);

/// <summary>One protocol's commands. The dispatcher answers the common commands (reference 1.4) for every protocol.</summary>
internal abstract class ProtocolHandler(ScmiPlatform platform, ScmiProtocolId id)
{
    protected ScmiPlatform Platform { get; } = platform;

    public ScmiProtocolId Id { get; } = id;

    /// <summary>The protocol as the model's release defines it (version, commands, layouts; reference 1.8).</summary>
    public ProtocolSpec Spec { get; } = ScmiCatalog.Get(id).At(platform.Model.Release.VersionOf(id) ?? ScmiCatalog.Get(id).Version);

    /// <summary>The protocol version served (major &lt;&lt; 16 | minor).</summary>
    protected uint Version => Spec.Version;

    /// <summary>
    /// The bits of a response's bit-field word that the served version defines: attribute bits a
    /// newer version added are reserved (zero) in an older one, so a platform presenting SCMI 2.0
    /// never sets a bit 2.0 calls reserved. Read from the message description, not a second table.
    /// </summary>
    protected uint DefinedBits(byte messageId, string word) => DefinedIn(Spec.FindMessage(messageId)?.Response, word);

    /// <summary>The same for a record array's entries (sensor descriptors).</summary>
    protected uint DefinedEntryBits(byte messageId, string array, string word) =>
        DefinedIn(FieldNamed<ArraySpec>(Spec.FindMessage(messageId)?.Response, array)?.Entry, word);

    private static uint DefinedIn(Layout? layout, string word) => FieldNamed<BitsSpec>(layout, word) is { } bits ? ~bits.ReservedMask : 0;

    // A loop, not LINQ: SENSOR_DESCRIPTION_GET, which asks per descriptor, is on the zero-allocation path.
    private static T? FieldNamed<T>(Layout? layout, string name)
        where T : FieldSpec
    {
        for (var i = 0; layout is not null && i < layout.Fields.Count; i++)
        {
            if (layout.Fields[i] is T field && field.Name == name)
                return field;
        }

        return null;
    }

    /// <summary>True for a protocol only trusted agents see (listed to them alone; NOT_SUPPORTED to others).</summary>
    public virtual bool TrustedOnly => false;

    /// <summary>PROTOCOL_ATTRIBUTES return values.</summary>
    public abstract void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply);

    /// <summary>The protocol-specific commands.</summary>
    public abstract IEnumerable<(byte MessageId, MessageHandler Handler)> Commands();

    /// <summary>PROTOCOL_MESSAGE_ATTRIBUTES attributes of an implemented message (usually 0).</summary>
    public virtual uint MessageAttributes(byte messageId) => 0;

    /// <summary>Writes a name into a 16-byte field, truncated to 15 characters (the rest comes from *_NAME_GET).</summary>
    protected static void WriteShortName(ref ScmiWriter reply, string name)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        for (var i = 0; i < Math.Min(name.Length, 15); i++)
            bytes[i] = (byte)name[i];
        reply.WriteBytes(bytes);
    }

    /// <summary>Writes the reply of a *_NAME_GET: flags (0) then the 64-byte name.</summary>
    protected static void WriteExtendedName(ref ScmiWriter reply, string name)
    {
        reply.WriteUInt32(0);
        Span<byte> bytes = stackalloc byte[64];
        bytes.Clear();
        for (var i = 0; i < Math.Min(name.Length, 63); i++)
            bytes[i] = (byte)name[i];
        reply.WriteBytes(bytes);
    }

    /// <summary>Names longer than a short name advertise the extended-name command.</summary>
    protected static bool NeedsExtendedName(string name) => name.Length > 15;

    /// <summary>How many entries of <paramref name="entrySize"/> fit after a count word (multi-part lists, reference 1.7).</summary>
    protected static int EntriesThatFit(in ScmiWriter reply, int entrySize, int countWordSize = 4) =>
        Math.Max(0, (reply.Remaining - countWordSize) / entrySize);

    /// <summary>Reads notify_enable bit 0 (the layout already rejected reserved bits).</summary>
    protected static bool ReadEnable(ref ScmiRequest request) => (request.Params.ReadUInt32() & NotifyEnableWord) != 0;

    /// <summary>Every *_NOTIFY command's enable word has the flag in bit 0 (reference 1.5).</summary>
    private const uint NotifyEnableWord = Vscmi.Protocol.Fields.ClockBits.ClockRateNotify.Request.NotifyEnable.NotifyEnableFlag;

    /// <summary>
    /// Reads one of the agent's resource ids and maps it to the global id through the agent's view;
    /// false (NOT_FOUND) for a resource it does not see.
    /// </summary>
    protected static bool TryResource(ref ScmiRequest request, Model.ResourceKind kind, out int id) =>
        request.Agent.TryGlobal(kind, request.Params.ReadUInt32(), out id);

    /// <summary>The model's index of the agent's resource <paramref name="local"/> (read through a request view); false: NOT_FOUND.</summary>
    protected static bool TryResource(ref ScmiRequest request, Model.ResourceKind kind, uint local, out int id) =>
        request.Agent.TryGlobal(kind, local, out id);

    /// <summary>
    /// A *_GET command that answers one 32-bit value of the resource its first parameter names.
    /// <paramref name="value"/> is a static lambda: cached once, so the hot path allocates nothing.
    /// </summary>
    protected ScmiStatus ReplyUInt32(ref ScmiRequest request, ref ScmiWriter reply, Model.ResourceKind kind, Func<ScmiPlatform, int, uint> value)
    {
        if (!TryResource(ref request, kind, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(value(Platform, id));
        return ScmiStatus.SUCCESS;
    }

    /// <summary>The same as <see cref="ReplyUInt32"/> for a 64-bit value.</summary>
    protected ScmiStatus ReplyUInt64(ref ScmiRequest request, ref ScmiWriter reply, Model.ResourceKind kind, Func<ScmiPlatform, int, ulong> value)
    {
        if (!TryResource(ref request, kind, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt64(value(Platform, id));
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A *_NOTIFY command on a resource: id, notify_enable; needs a P2A channel (reference 4.3).</summary>
    protected ScmiStatus Subscribe(ref ScmiRequest request, Model.ResourceKind kind, byte command)
    {
        var local = request.Params.ReadUInt32();
        if (!request.Agent.TryGlobal(kind, local, out _))
            return ScmiStatus.NOT_FOUND;
        var enable = ReadEnable(ref request);
        if (!request.Agent.HasP2A)
            return ScmiStatus.NOT_SUPPORTED;
        // Subscriptions are kept in the agent's own ids: that is what its notifications carry.
        request.Agent.Subscribe((byte)Id, command, local, enable);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A *_NAME_GET command: the resource's full name.</summary>
    protected static ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply, Model.ResourceKind kind, Func<int, string> nameOf)
    {
        if (!TryResource(ref request, kind, out var id))
            return ScmiStatus.NOT_FOUND;
        WriteExtendedName(ref reply, nameOf(id));
        return ScmiStatus.SUCCESS;
    }
}
