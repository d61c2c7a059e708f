using System.Buffers.Binary;
using System.Text;

namespace Vscmi.Protocol.Capture;

/// <summary>Which way a captured message went, as pcapng's epb_flags direction bits say it.</summary>
public enum CaptureDirection
{
    /// <summary>Not recorded.</summary>
    Unknown = 0,
    /// <summary>Inbound to the platform: an agent's command.</summary>
    Inbound = 1,
    /// <summary>Outbound from the platform: a reply, delayed response or notification.</summary>
    Outbound = 2,
}

/// <summary>One captured SCMI message: on which interface (one per agent), when, which way, the bytes.</summary>
/// <param name="Interface">Index of the interface (agent) in the file.</param>
/// <param name="Agent">The interface's name: the agent's name.</param>
/// <param name="UnixTimeNs">Nanoseconds since 1970-01-01 UTC.</param>
/// <param name="Direction">Which way it went.</param>
/// <param name="Message">Header then payload.</param>
/// <param name="LatencyNs">For a reply, how long the platform took (0: not recorded).</param>
public sealed record CapturedMessage(int Interface, string Agent, long UnixTimeNs, CaptureDirection Direction, byte[] Message, long LatencyNs);

/// <summary>A pcapng file that is not one vscmi can read, with the byte offset of the fault.</summary>
public sealed class CaptureFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CaptureFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CaptureFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CaptureFormatException()
    {
    }
}

/// <summary>
/// vscmi's traces as pcapng (IETF draft-ietf-opsawg-pcapng): one section, one interface per agent
/// named after it with link type <see cref="LinkType"/> (LINKTYPE_USER0, the user range) and
/// nanosecond timestamps, one Enhanced Packet Block per message with its direction in epb_flags.
/// The packet is the SCMI message itself, header then payload, which is what the Wireshark
/// dissector (<c>vscmi dissector</c>) reads.
/// </summary>
public static class Pcapng
{
    /// <summary>LINKTYPE_USER0 (147): the first of the link types pcap reserves for private use.</summary>
    public const ushort LinkType = 147;

    /// <summary>The largest block the reader accepts: SCMI messages are small; a larger one is a broken file.</summary>
    public const int MaxBlock = 1 << 20;

    private const uint SectionHeader = 0x0A0D0D0A;
    private const uint InterfaceDescription = 0x00000001;
    private const uint EnhancedPacket = 0x00000006;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const ushort OptEnd = 0;
    private const ushort OptComment = 1;
    private const ushort OptIfName = 2;
    private const ushort OptIfTsResol = 9;
    private const ushort OptEpbFlags = 2;
    private const ushort OptShbUserAppl = 4;
    private const string LatencyPrefix = "latency_ns=";

    /// <summary>The section header: call once at the start of the file.</summary>
    public static void WriteHeader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var options = Options(o => o.Add((OptShbUserAppl, Encoding.UTF8.GetBytes("vscmi trace"))));
        var body = new byte[16 + options.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(body, ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(6), 0);
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), -1); // section length not given
        options.CopyTo(body.AsSpan(16));
        WriteBlock(stream, SectionHeader, body);
    }

    /// <summary>An interface for one agent; interfaces are numbered in the order they are written.</summary>
    public static void WriteInterface(Stream stream, string agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var options = Options(o =>
        {
            o.Add((OptIfName, Encoding.UTF8.GetBytes(agent)));
            o.Add((OptIfTsResol, [9])); // 10^-9 s
        });
        var body = new byte[8 + options.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(body, LinkType);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), 0); // no snap length
        options.CopyTo(body.AsSpan(8));
        WriteBlock(stream, InterfaceDescription, body);
    }

    /// <summary>One message on interface <paramref name="interfaceId"/>.</summary>
    public static void WritePacket(Stream stream, int interfaceId, long unixTimeNs, CaptureDirection direction, ReadOnlySpan<byte> message, long latencyNs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(interfaceId);
        var flags = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(flags, (uint)direction & 3);
        var options = Options(o =>
        {
            o.Add((OptEpbFlags, flags));
            if (latencyNs > 0)
                o.Add((OptComment, Encoding.ASCII.GetBytes(LatencyPrefix + latencyNs.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        });
        var padded = Pad(message.Length);
        var body = new byte[20 + padded + options.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)interfaceId);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)((ulong)unixTimeNs >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), (uint)unixTimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), (uint)message.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), (uint)message.Length);
        message.CopyTo(body.AsSpan(20));
        options.CopyTo(body.AsSpan(20 + padded));
        WriteBlock(stream, EnhancedPacket, body);
    }

    /// <summary>
    /// Reads every message of a file vscmi wrote (or any little-endian pcapng whose interfaces
    /// use <see cref="LinkType"/>; blocks of other kinds are skipped).
    /// </summary>
    /// <exception cref="CaptureFormatException">The bytes are not such a file; the message names the offset.</exception>
    public static IReadOnlyList<CapturedMessage> Read(ReadOnlySpan<byte> file)
    {
        var messages = new List<CapturedMessage>();
        var interfaces = new List<(string Name, ushort LinkType, long TicksPerSecond)>();
        var offset = 0;
        var sawSection = false;
        while (offset < file.Length)
        {
            if (file.Length - offset < 12)
                throw new CaptureFormatException($"offset {offset}: {file.Length - offset} bytes left, too few for a block (12)");
            var type = BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + 4)..]);
            if (length < 12 || length % 4 != 0 || length > MaxBlock || length > file.Length - offset)
                throw new CaptureFormatException($"offset {offset}: block length {length} is not a multiple of 4 within 12..{Math.Min(MaxBlock, file.Length - offset)}");
            if (BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + (int)length - 4)..]) != length)
                throw new CaptureFormatException($"offset {offset}: the block's trailing length differs from its leading length {length}");
            var body = file.Slice(offset + 8, (int)length - 12);
            if (!sawSection && type != SectionHeader)
                throw new CaptureFormatException($"offset {offset}: the file does not start with a section header block (0x0A0D0D0A)");
            switch (type)
            {
                case SectionHeader:
                    if (body.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(body) != ByteOrderMagic)
                        throw new CaptureFormatException($"offset {offset}: not a little-endian pcapng section (byte-order magic)");
                    if (BinaryPrimitives.ReadUInt16LittleEndian(body[4..]) != 1)
                        throw new CaptureFormatException($"offset {offset}: pcapng major version {BinaryPrimitives.ReadUInt16LittleEndian(body[4..])}, only 1 is known");
                    sawSection = true;
                    interfaces.Clear();
                    break;
                case InterfaceDescription:
                    interfaces.Add(ReadInterface(body, offset, interfaces.Count));
                    break;
                case EnhancedPacket:
                    messages.Add(ReadPacket(body, offset, interfaces));
                    break;
                default:
                    break; // other blocks (statistics, name resolution) carry nothing vscmi needs
            }

            offset += (int)length;
        }

        if (!sawSection)
            throw new CaptureFormatException("an empty file: no section header block");
        return messages;
    }

    private static (string, ushort, long) ReadInterface(ReadOnlySpan<byte> body, int offset, int index)
    {
        if (body.Length < 8)
            throw new CaptureFormatException($"offset {offset}: interface block of {body.Length} bytes, fewer than 8");
        var linkType = BinaryPrimitives.ReadUInt16LittleEndian(body);
        var name = $"interface {index}";
        long ticks = 1_000_000; // the default resolution: microseconds
        foreach (var (code, value) in ReadOptions(body[8..], offset))
        {
            if (code == OptIfName)
                name = Encoding.UTF8.GetString(value);
            else if (code == OptIfTsResol)
            {
                if (value.Length != 1 || (value[0] & 0x80) != 0 || value[0] > 18)
                    throw new CaptureFormatException($"offset {offset}: if_tsresol {(value.Length == 1 ? value[0] : -1)}: vscmi reads powers of ten up to 10^-18");
                ticks = (long)Math.Pow(10, value[0]);
            }
        }

        return (name, linkType, ticks);
    }

    private static CapturedMessage ReadPacket(ReadOnlySpan<byte> body, int offset, List<(string Name, ushort LinkType, long TicksPerSecond)> interfaces)
    {
        if (body.Length < 20)
            throw new CaptureFormatException($"offset {offset}: packet block of {body.Length} bytes, fewer than 20");
        var id = BinaryPrimitives.ReadUInt32LittleEndian(body);
        if (id >= (uint)interfaces.Count)
            throw new CaptureFormatException($"offset {offset}: packet on interface {id}, but {interfaces.Count} interface(s) are described");
        var (name, linkType, ticksPerSecond) = interfaces[(int)id];
        if (linkType != LinkType)
            throw new CaptureFormatException($"offset {offset}: interface {id} has link type {linkType}, not vscmi's {LinkType} (LINKTYPE_USER0)");
        var timestamp = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        var captured = BinaryPrimitives.ReadUInt32LittleEndian(body[12..]);
        if (captured > (uint)(body.Length - 20))
            throw new CaptureFormatException($"offset {offset}: captured length {captured} exceeds the block's {body.Length - 20} data bytes");
        var data = body.Slice(20, (int)captured).ToArray();
        var direction = CaptureDirection.Unknown;
        long latency = 0;
        foreach (var (code, value) in ReadOptions(body[(20 + Pad((int)captured))..], offset))
        {
            if (code == OptEpbFlags && value.Length == 4)
                direction = (CaptureDirection)(BinaryPrimitives.ReadUInt32LittleEndian(value) & 3);
            else if (code == OptComment && Encoding.ASCII.GetString(value) is var comment && comment.StartsWith(LatencyPrefix, StringComparison.Ordinal))
                _ = long.TryParse(comment.AsSpan(LatencyPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out latency);
        }

        if (direction == (CaptureDirection)3)
            throw new CaptureFormatException($"offset {offset}: epb_flags direction 3 is reserved");
        var ns = ticksPerSecond == 1_000_000_000 ? (long)timestamp : (long)(timestamp * (1_000_000_000.0 / ticksPerSecond));
        return new CapturedMessage((int)id, name, ns, direction, data, latency);
    }

    private static List<(ushort Code, byte[] Value)> ReadOptions(ReadOnlySpan<byte> options, int offset)
    {
        var list = new List<(ushort, byte[])>();
        var at = 0;
        while (at + 4 <= options.Length)
        {
            var code = BinaryPrimitives.ReadUInt16LittleEndian(options[at..]);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(options[(at + 2)..]);
            if (code == OptEnd)
                return list;
            if (length > options.Length - at - 4)
                throw new CaptureFormatException($"offset {offset}: option {code} of {length} bytes runs past its block");
            list.Add((code, options.Slice(at + 4, length).ToArray()));
            at += 4 + Pad(length);
        }

        if (at != options.Length)
            throw new CaptureFormatException($"offset {offset}: {options.Length - at} stray bytes after the block's options");
        return list;
    }

    private static byte[] Options(Action<List<(ushort Code, byte[] Value)>> fill)
    {
        var options = new List<(ushort Code, byte[] Value)>();
        fill(options);
        var size = options.Sum(o => 4 + Pad(o.Value.Length)) + 4;
        var bytes = new byte[size];
        var at = 0;
        foreach (var (code, value) in options)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), code);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 2), (ushort)value.Length);
            value.CopyTo(bytes.AsSpan(at + 4));
            at += 4 + Pad(value.Length);
        }

        return bytes; // ends with opt_endofopt (four zero bytes)
    }

    private static int Pad(int length) => (length + 3) & ~3;

    private static void WriteBlock(Stream stream, uint type, ReadOnlySpan<byte> body)
    {
        var total = 12 + body.Length;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, type);
        stream.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)total);
        stream.Write(word);
        stream.Write(body);
        stream.Write(word);
    }
}
