namespace Vscmi.Virtio;

/// <summary>
/// Split virtqueue layout (VIRTIO 1.3 2.7; reference 4.9). All fields little-endian.
/// <code>
///   descriptor table (align 16)   available ring (align 2)        used ring (align 4)
///   [addr u64|len u32|flags|next]  flags | idx | ring[N] | used_event  flags | idx | {id,len}[N] | avail_event
/// </code>
/// </summary>
public static class SplitRing
{
    /// <summary>The buffer continues in <c>next</c>.</summary>
    public const ushort VIRTQ_DESC_F_NEXT = 1;

    /// <summary>The buffer is device-writable.</summary>
    public const ushort VIRTQ_DESC_F_WRITE = 2;

    /// <summary>The buffer is a table of descriptors.</summary>
    public const ushort VIRTQ_DESC_F_INDIRECT = 4;

    /// <summary>Available-ring flag: the driver wants no used-buffer notifications (ignored with EVENT_IDX).</summary>
    public const ushort VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

    /// <summary>Used-ring flag: the device wants no kicks (ignored with EVENT_IDX).</summary>
    public const ushort VIRTQ_USED_F_NO_NOTIFY = 1;

    /// <summary>Largest queue size (2^15).</summary>
    public const int MaxQueueSize = 32768;

    /// <summary>Bytes of one descriptor.</summary>
    public const int DescriptorSize = 16;

    /// <summary>Descriptor table size for a queue of <paramref name="size"/>.</summary>
    public static ulong DescriptorTableBytes(int size) => (ulong)(DescriptorSize * size);

    /// <summary>Available ring size including used_event.</summary>
    public static ulong AvailRingBytes(int size) => (ulong)(6 + (2 * size));

    /// <summary>Used ring size including avail_event.</summary>
    public static ulong UsedRingBytes(int size) => (ulong)(6 + (8 * size));

    /// <summary>A valid queue size: a power of two from 1 to 32768.</summary>
    public static bool IsValidSize(int size) => size is > 0 and <= MaxQueueSize && (size & (size - 1)) == 0;

    /// <summary>
    /// The EVENT_IDX rule, the same in both directions: after moving an index from
    /// <paramref name="oldIndex"/> to <paramref name="newIndex"/>, notify iff the other side's
    /// event index was passed. Indexes wrap at 2^16 on purpose.
    /// </summary>
    public static bool NeedEvent(ushort eventIndex, ushort newIndex, ushort oldIndex)
        => (ushort)(newIndex - eventIndex - 1) < (ushort)(newIndex - oldIndex);
}

/// <summary>
/// The ring's 16- and 32-bit words as the guest stores them: little-endian (VIRTIO 1.3 2.7),
/// converted explicitly so a big-endian host would still read the guest right. Indexes the other
/// side may be writing are one atomic access with acquire (load) or release (store) ordering.
/// </summary>
internal static class RingWord
{
    /// <summary>An index or flags word the other side may be writing: one acquire load.</summary>
    public static unsafe ushort ReadVolatile(nint address)
    {
        // SAFETY: callers pass an address they translated inside a live mapping, 2-byte aligned
        // (the ring's alignment), so the load is in bounds and atomic.
        var raw = Volatile.Read(ref *(ushort*)address);
        return BitConverter.IsLittleEndian ? raw : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(raw);
    }

    /// <summary>An index the other side reads: one release store, after everything it publishes.</summary>
    public static unsafe void WriteVolatile(nint address, ushort value)
    {
        // SAFETY: as in ReadVolatile.
        Volatile.Write(ref *(ushort*)address, BitConverter.IsLittleEndian ? value : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value));
    }

    /// <summary>A 16-bit ring entry already ordered by an earlier acquire (an avail ring head).</summary>
    public static unsafe ushort Read(nint address) =>
        // SAFETY: as in ReadVolatile; no ordering needed beyond the index's acquire.
        System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>((void*)address, 2));

    /// <summary>A 16-bit ring entry published later by an index's release store.</summary>
    public static unsafe void Write(nint address, ushort value) =>
        // SAFETY: as in ReadVolatile.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>((void*)address, 2), value);

    /// <summary>A 32-bit used-entry length published later by the index's release store.</summary>
    public static unsafe void Write(nint address, uint value) =>
        // SAFETY: as in ReadVolatile (a used element is 4-byte aligned).
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>((void*)address, 4), value);
}
