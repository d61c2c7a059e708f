namespace Vscmi.Protocol;

/// <summary>
/// The 32-bit SCMI message header. This type owns every shift and mask of the header; no other
/// code takes it apart by hand (reference 1.1, Linux common.h <c>pack_scmi_header</c>).
/// </summary>
/// <remarks>
/// <code>
///  31    28 27              18 17            10 9  8 7          0
/// +--------+------------------+----------------+----+------------+
/// |reserved|      token       |  protocol_id   |type| message_id |
/// +--------+------------------+----------------+----+------------+
/// </code>
/// </remarks>
public readonly record struct ScmiHeader
{
    private const int MessageIdShift = 0;
    private const uint MessageIdMask = 0xFFu << MessageIdShift;
    private const int TypeShift = 8;
    private const uint TypeMask = 0x3u << TypeShift;
    private const int ProtocolIdShift = 10;
    private const uint ProtocolIdMask = 0xFFu << ProtocolIdShift;
    private const int TokenShift = 18;
    private const uint TokenMask = 0x3FFu << TokenShift;

    /// <summary>Bits 31:28, which must be zero.</summary>
    public const uint ReservedMask = ~(MessageIdMask | TypeMask | ProtocolIdMask | TokenMask);

    /// <summary>The largest token the 10-bit field holds (1023); derived from the mask.</summary>
    public const ushort MaxToken = (ushort)(TokenMask >> TokenShift);

    /// <summary>Size of the header on the wire, in bytes.</summary>
    public const int Size = 4;

    /// <summary>Creates a header from its fields.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is above <see cref="MaxToken"/> or the type is not 2 bits.</exception>
    public ScmiHeader(byte messageId, ScmiMessageType type, byte protocolId, ushort token)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(token, MaxToken);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((byte)type, (byte)3, nameof(type));
        Value = ((uint)messageId << MessageIdShift)
            | ((uint)type << TypeShift)
            | ((uint)protocolId << ProtocolIdShift)
            | ((uint)token << TokenShift);
    }

    private ScmiHeader(uint value) => Value = value;

    /// <summary>The header word as it travels (little-endian on the wire).</summary>
    public uint Value { get; }

    /// <summary>Bits 7:0: the command or notification number within the protocol.</summary>
    public byte MessageId => (byte)((Value & MessageIdMask) >> MessageIdShift);

    /// <summary>Bits 9:8.</summary>
    public ScmiMessageType Type => (ScmiMessageType)((Value & TypeMask) >> TypeShift);

    /// <summary>Bits 17:10.</summary>
    public byte ProtocolId => (byte)((Value & ProtocolIdMask) >> ProtocolIdShift);

    /// <summary>Bits 27:18: the agent's sequence number, echoed by the platform.</summary>
    public ushort Token => (ushort)((Value & TokenMask) >> TokenShift);

    /// <summary>Bits 31:28 as they arrived (zero in a valid header).</summary>
    public uint ReservedBits => Value & ReservedMask;

    /// <summary>Reads a header word without validating it (see <see cref="TryFromValue"/>).</summary>
    public static ScmiHeader FromValueUnchecked(uint value) => new(value);

    /// <summary>Accepts a header word only if its reserved bits are zero and its type is not the reserved type 1.</summary>
    public static bool TryFromValue(uint value, out ScmiHeader header)
    {
        header = new ScmiHeader(value);
        return header.ReservedBits == 0 && header.Type != ScmiMessageType.RESERVED;
    }

    /// <summary>The same header with another type (a delayed response keeps id, protocol and token).</summary>
    public ScmiHeader WithType(ScmiMessageType type) => new(MessageId, type, ProtocolId, Token);

    /// <summary>The same header with another token.</summary>
    public ScmiHeader WithToken(ushort token) => new(MessageId, Type, ProtocolId, token);

    /// <inheritdoc />
    public override string ToString() =>
        $"0x{Value:X8} (protocol 0x{ProtocolId:X2}, message 0x{MessageId:X2}, {Type}, token {Token})";
}
