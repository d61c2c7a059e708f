using System.Buffers.Binary;

namespace Vscmi.Protocol;

/// <summary>
/// A little-endian reader over one message's bytes. <c>TryReadX</c> returns false and consumes
/// nothing when too few bytes remain; <c>ReadX</c> throws <see cref="ScmiProtocolException"/>
/// (STYLE 5). The reader never reads past the span it was given, which the caller bounds by the
/// channel's maximum message size.
/// </summary>
public ref struct ScmiReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    public ScmiReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>What is left, without consuming it.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[Position..];

    /// <summary>Reads a 32-bit word if four bytes remain.</summary>
    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[Position..]);
        Position += 4;
        return true;
    }

    /// <summary>Reads a 16-bit value if two bytes remain.</summary>
    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[Position..]);
        Position += 2;
        return true;
    }

    /// <summary>Reads a 64-bit value sent as a low word then a high word.</summary>
    public bool TryReadUInt64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[Position..]);
        Position += 8;
        return true;
    }

    /// <summary>Takes <paramref name="count"/> bytes if they remain.</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || Remaining < count)
        {
            bytes = default;
            return false;
        }

        bytes = _buffer.Slice(Position, count);
        Position += count;
        return true;
    }

    /// <summary>Reads a 32-bit word or throws <see cref="ScmiProtocolException"/>.</summary>
    public uint ReadUInt32()
    {
        if (!TryReadUInt32(out var value))
            ThrowHelper.ThrowTruncated(Position, 4, Remaining);
        return value;
    }

    /// <summary>Reads a signed 32-bit word or throws.</summary>
    public int ReadInt32() => unchecked((int)ReadUInt32());

    /// <summary>Reads a 16-bit value or throws.</summary>
    public ushort ReadUInt16()
    {
        if (!TryReadUInt16(out var value))
            ThrowHelper.ThrowTruncated(Position, 2, Remaining);
        return value;
    }

    /// <summary>Reads a low/high pair of words or throws.</summary>
    public ulong ReadUInt64()
    {
        if (!TryReadUInt64(out var value))
            ThrowHelper.ThrowTruncated(Position, 8, Remaining);
        return value;
    }

    /// <summary>Takes <paramref name="count"/> bytes or throws.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (!TryReadBytes(count, out var bytes))
            ThrowHelper.ThrowTruncated(Position, count, Remaining);
        return bytes;
    }

    /// <summary>Throws <see cref="ScmiDecodeError.TrailingBytes"/> unless every byte was consumed.</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
            ThrowHelper.Throw(ScmiDecodeError.TrailingBytes, $"{Remaining} unexpected trailing byte(s)", Position);
    }
}
