using System.Buffers.Binary;

namespace Vscmi.VhostUser;

/// <summary>
/// <c>struct vhost_vring_state</c>: a ring index and a number (SET_VRING_NUM, SET/GET_VRING_BASE,
/// SET_VRING_ENABLE). 8 bytes, little-endian (reference 4.10; the gcc layout test checks it).
/// </summary>
/// <param name="Index">The ring.</param>
/// <param name="Num">The size, the next available index, or 0/1 for enable.</param>
public readonly record struct VringState(uint Index, uint Num)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 8;

    /// <summary>Reads a state from a payload of exactly <see cref="Size"/> bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out VringState state)
    {
        state = default;
        if (payload.Length != Size)
            return false;
        state = new VringState(BinaryPrimitives.ReadUInt32LittleEndian(payload), BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]));
        return true;
    }

    /// <summary>Writes the state into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Index);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Num);
    }

    /// <summary>The payload as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>GET_VRING_BASE's reply travels as one u64: index | num &lt;&lt; 32.</summary>
    public ulong AsUInt64 => Index | ((ulong)Num << 32);

    /// <summary>The state a u64 reply carries.</summary>
    public static VringState FromUInt64(ulong value) => new((uint)value, (uint)(value >> 32));
}

/// <summary>
/// <c>struct vhost_vring_addr</c> (SET_VRING_ADDR): the three ring parts as frontend virtual
/// addresses, in the wire's order descriptor, used, available; 40 bytes.
/// </summary>
/// <param name="Index">The ring.</param>
/// <param name="Flags">Bit 0: log the used ring (VHOST_VRING_F_LOG); no other bit exists.</param>
/// <param name="Descriptors">The descriptor table.</param>
/// <param name="Used">The used ring.</param>
/// <param name="Avail">The available ring.</param>
/// <param name="Log">Where used-ring writes are logged (dirty-page logging; unused by SCMI).</param>
public readonly record struct VringAddress(uint Index, uint Flags, ulong Descriptors, ulong Used, ulong Avail, ulong Log)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 40;

    /// <summary>VHOST_VRING_F_LOG, the only defined flag.</summary>
    public const uint LogFlag = 1;

    /// <summary>Whether only defined flag bits are set.</summary>
    public bool IsValid => (Flags & ~LogFlag) == 0;

    /// <summary>Reads an address block from a payload of exactly <see cref="Size"/> bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out VringAddress address)
    {
        address = default;
        if (payload.Length != Size)
            return false;
        address = new VringAddress(
            BinaryPrimitives.ReadUInt32LittleEndian(payload),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[32..]));
        return true;
    }

    /// <summary>Writes the block into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Index);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Descriptors);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Used);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], Avail);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[32..], Log);
    }

    /// <summary>The payload as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }
}

/// <summary>
/// <c>struct vhost_user_memory_region</c>: one entry of SET_MEM_TABLE, 32 bytes. The table is a
/// u32 count and u32 padding (<see cref="TableHeaderSize"/>), then the entries, one fd each.
/// </summary>
/// <param name="GuestPhysical">First guest-physical address.</param>
/// <param name="MemorySize">Length in bytes.</param>
/// <param name="UserAddress">Where the frontend has it mapped (ring addresses are in this space).</param>
/// <param name="MmapOffset">Offset of the region in its fd.</param>
public readonly record struct MemoryRegion(ulong GuestPhysical, ulong MemorySize, ulong UserAddress, ulong MmapOffset)
{
    /// <summary>Bytes of one entry on the wire.</summary>
    public const int Size = 32;

    /// <summary>Bytes before the first entry: the region count and padding.</summary>
    public const int TableHeaderSize = 8;

    /// <summary>Whether the region is non-empty and neither range wraps the 64-bit address space.</summary>
    public bool IsValid =>
        MemorySize != 0 && GuestPhysical + MemorySize >= GuestPhysical && UserAddress + MemorySize >= UserAddress;

    /// <summary>Reads entry <paramref name="index"/> of a whole SET_MEM_TABLE body.</summary>
    public static bool TryRead(ReadOnlySpan<byte> table, int index, out MemoryRegion region)
    {
        region = default;
        var offset = TableHeaderSize + ((long)Size * index);
        if (index < 0 || offset + Size > table.Length)
            return false;
        var entry = table.Slice((int)offset, Size);
        region = new MemoryRegion(
            BinaryPrimitives.ReadUInt64LittleEndian(entry),
            BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(entry[24..]));
        return true;
    }

    /// <summary>Writes the entry into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, GuestPhysical);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], MemorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], UserAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], MmapOffset);
    }

    /// <summary>A whole SET_MEM_TABLE body for <paramref name="regions"/>.</summary>
    public static byte[] Table(ReadOnlySpan<MemoryRegion> regions)
    {
        var bytes = new byte[TableHeaderSize + (Size * regions.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)regions.Length);
        for (var i = 0; i < regions.Length; i++)
            regions[i].Write(bytes.AsSpan(TableHeaderSize + (Size * i)));
        return bytes;
    }
}

/// <summary>What kind of rule a refused vhost-user request broke (metrics and tests tell them apart by this).</summary>
public enum VhostUserRefusalKind
{
    /// <summary>File descriptors came with a request that may not carry any, or the wrong number came.</summary>
    Descriptors,

    /// <summary>The payload is not the request's size.</summary>
    PayloadSize,

    /// <summary>A ring index the device does not have.</summary>
    NoSuchRing,

    /// <summary>A value out of its range (ring size, base, enable, status, region count).</summary>
    BadValue,

    /// <summary>Bits set that have no meaning.</summary>
    ReservedBits,

    /// <summary>A request the SCMI backend does not implement.</summary>
    Unsupported,

    /// <summary>The host refused (mmap of a region, an fd that is not an eventfd).</summary>
    Host,

    /// <summary>Feature bits acknowledged that were never offered (ignored, but said).</summary>
    UnofferedFeatures,
}

/// <summary>Why a vhost-user request was refused: a kind, and a sentence naming the offending value.</summary>
/// <param name="Kind">The rule broken.</param>
/// <param name="Detail">What was wrong, with the value.</param>
public readonly record struct VhostUserRefusal(VhostUserRefusalKind Kind, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => Detail;
}
