using System.Buffers.Binary;

namespace Vscmi.Protocol;

/// <summary>
/// A little-endian writer into a caller-provided buffer (usually the channel's reply buffer, so
/// nothing is allocated). Writing past the end throws <see cref="ScmiProtocolException"/> with
/// <see cref="ScmiDecodeError.TooLarge"/>: the message does not fit the channel.
/// </summary>
public ref struct ScmiWriter
{
    private readonly Span<byte> _buffer;

    /// <summary>Creates a writer over <paramref name="buffer"/>.</summary>
    public ScmiWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public int Position { get; private set; }

    /// <summary>Room left.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>The bytes written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[..Position];

    /// <summary>Writes a 32-bit word.</summary>
    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
    }

    /// <summary>Writes a signed 32-bit word.</summary>
    public void WriteInt32(int value) => WriteUInt32(unchecked((uint)value));

    /// <summary>Writes a 16-bit value.</summary>
    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
    }

    /// <summary>Writes a 64-bit value as a low word then a high word.</summary>
    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
    }

    /// <summary>Copies bytes.</summary>
    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>Writes <paramref name="count"/> zero bytes.</summary>
    public void WriteZeros(int count)
    {
        Reserve(count).Clear();
    }

    private Span<byte> Reserve(int count)
    {
        if (Remaining < count)
            ThrowHelper.Throw(ScmiDecodeError.TooLarge, $"message does not fit: {count} more byte(s) needed, {Remaining} left", Position);
        var span = _buffer.Slice(Position, count);
        Position += count;
        return span;
    }
}
