using System.Buffers.Binary;

namespace Vscmi.Virtio;

/// <summary>One buffer of a chain the driver offers.</summary>
/// <param name="Address">Guest-physical address.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Writable">Whether the device writes it.</param>
public readonly record struct BufferSegment(GuestAddress Address, uint Length, bool Writable);

/// <summary>
/// The driver side of a split virtqueue, as a guest's virtio driver runs it: our vhost-user
/// frontend and the device tests use it (model: rust-vmm virtio-queue mock.rs). The raw
/// accessors let hostile-driver tests write any descriptor and index they like. Not thread-safe.
/// </summary>
public sealed class DriverQueue
{
    private readonly GuestMemory _memory;
    private readonly Stack<ushort> _free = new();
    private readonly int[] _chainLength;
    private readonly ushort[] _chainNext;
    private ushort _availIndex;
    private ushort _lastUsed;
    private ushort _kickedAvail;

    /// <summary>Lays out a queue of <paramref name="size"/> at the given guest addresses and zeroes its rings.</summary>
    public DriverQueue(GuestMemory memory, int size, GuestAddress descriptors, GuestAddress avail, GuestAddress used, bool eventIdx)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!SplitRing.IsValidSize(size))
            throw new ArgumentOutOfRangeException(nameof(size), $"queue size {size} is not a power of two up to {SplitRing.MaxQueueSize}");
        _memory = memory;
        Size = size;
        Descriptors = descriptors;
        Avail = avail;
        Used = used;
        EventIdx = eventIdx;
        _chainLength = new int[size];
        _chainNext = new ushort[size];
        Check(_memory.TryWrite(descriptors, new byte[SplitRing.DescriptorTableBytes(size)]), descriptors);
        Check(_memory.TryWrite(avail, new byte[SplitRing.AvailRingBytes(size)]), avail);
        Check(_memory.TryWrite(used, new byte[SplitRing.UsedRingBytes(size)]), used);
        for (var i = size - 1; i >= 0; i--)
            _free.Push((ushort)i);
    }

    /// <summary>Queue size.</summary>
    public int Size { get; }

    /// <summary>Guest address of the descriptor table.</summary>
    public GuestAddress Descriptors { get; }

    /// <summary>Guest address of the available ring.</summary>
    public GuestAddress Avail { get; }

    /// <summary>Guest address of the used ring.</summary>
    public GuestAddress Used { get; }

    /// <summary>Whether EVENT_IDX is in use.</summary>
    public bool EventIdx { get; }

    /// <summary>Descriptors not in any outstanding chain.</summary>
    public int FreeDescriptors => _free.Count;

    /// <summary>The driver's available index (free-running).</summary>
    public ushort AvailIndex => _availIndex;

    /// <summary>Offers a chain of direct descriptors; false when too few are free.</summary>
    public bool TryAdd(ReadOnlySpan<BufferSegment> segments, out ushort head)
    {
        head = 0;
        if (segments.Length == 0 || segments.Length > _free.Count)
            return false;
        Span<ushort> indexes = stackalloc ushort[segments.Length];
        for (var i = 0; i < segments.Length; i++)
            indexes[i] = _free.Pop();
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            var flags = (ushort)((segments[i].Writable ? SplitRing.VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : SplitRing.VIRTQ_DESC_F_NEXT));
            WriteDescriptor(indexes[i], segments[i].Address, segments[i].Length, flags, last ? (ushort)0 : indexes[i + 1]);
            _chainNext[indexes[i]] = last ? (ushort)0 : indexes[i + 1];
        }

        head = indexes[0];
        _chainLength[head] = segments.Length;
        Publish(head);
        return true;
    }

    /// <summary>Offers a chain as one INDIRECT descriptor whose table is written at <paramref name="table"/>.</summary>
    public bool TryAddIndirect(ReadOnlySpan<BufferSegment> segments, GuestAddress table, out ushort head)
    {
        head = 0;
        if (segments.Length == 0 || _free.Count == 0)
            return false;
        var bytes = new byte[segments.Length * SplitRing.DescriptorSize];
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            var flags = (ushort)((segments[i].Writable ? SplitRing.VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : SplitRing.VIRTQ_DESC_F_NEXT));
            EncodeDescriptor(bytes.AsSpan(i * SplitRing.DescriptorSize), segments[i].Address, segments[i].Length, flags, (ushort)(last ? 0 : i + 1));
        }

        Check(_memory.TryWrite(table, bytes), table);
        head = _free.Pop();
        WriteDescriptor(head, table, (uint)bytes.Length, SplitRing.VIRTQ_DESC_F_INDIRECT, 0);
        _chainLength[head] = 1;
        Publish(head);
        return true;
    }

    /// <summary>Takes the next used entry; the chain's descriptors become free again.</summary>
    public bool TryTakeUsed(out ushort head, out uint length)
    {
        head = 0;
        length = 0;
        if (!_memory.TryTranslate(Used, SplitRing.UsedRingBytes(Size), out _))
            return false;
        // Acquire: the entry is read after the index that published it.
        if (ReadU16(new GuestAddress(Used.Value + 2)) == _lastUsed)
            return false;
        Span<byte> entry = stackalloc byte[8];
        Check(_memory.TryRead(new GuestAddress(Used.Value + 4 + (ulong)(8 * (_lastUsed % Size))), entry), Used);
        head = (ushort)BinaryPrimitives.ReadUInt32LittleEndian(entry);
        length = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
        _lastUsed++;
        if (EventIdx)
            WriteU16(new GuestAddress(Avail.Value + 4 + (ulong)(2 * Size)), _lastUsed);
        if (head < Size && _chainLength[head] > 0)
        {
            var index2 = head;
            for (var i = _chainLength[head]; i > 0; i--)
            {
                _free.Push(index2);
                index2 = _chainNext[index2];
            }

            _chainLength[head] = 0;
        }

        return true;
    }

    /// <summary>
    /// Whether the device wants a kick for what was offered since the last call (EVENT_IDX:
    /// avail_event; otherwise the used ring's NO_NOTIFY flag).
    /// </summary>
    public bool ShouldKick()
    {
        var old = _kickedAvail;
        _kickedAvail = _availIndex;
        if (old == _availIndex)
            return false;
        Interlocked.MemoryBarrier();
        if (EventIdx)
            return SplitRing.NeedEvent(ReadU16(new GuestAddress(Used.Value + 4 + (ulong)(8 * Size))), _availIndex, old);
        return (ReadU16(Used) & SplitRing.VIRTQ_USED_F_NO_NOTIFY) == 0;
    }

    /// <summary>Sets or clears VIRTQ_AVAIL_F_NO_INTERRUPT.</summary>
    public void SuppressInterrupts(bool suppress) => WriteU16(Avail, suppress ? SplitRing.VIRTQ_AVAIL_F_NO_INTERRUPT : (ushort)0);

    /// <summary>Raw: writes descriptor <paramref name="index"/> as given (hostile-driver tests).</summary>
    public void WriteDescriptor(int index, GuestAddress address, uint length, ushort flags, ushort next)
    {
        Span<byte> bytes = stackalloc byte[SplitRing.DescriptorSize];
        EncodeDescriptor(bytes, address, length, flags, next);
        Check(_memory.TryWrite(new GuestAddress(Descriptors.Value + (ulong)(index * SplitRing.DescriptorSize)), bytes), Descriptors);
    }

    /// <summary>
    /// Raw: writes <paramref name="descriptors"/> as descriptors 0, 1, … with the flags given, each
    /// one's next the one after it and the last one's 0 (so a NEXT flag there loops back), then
    /// publishes descriptor 0 (hostile-driver tests: broken chains written the same way everywhere).
    /// </summary>
    public void PublishRaw(params ReadOnlySpan<RawDescriptor> descriptors)
    {
        for (var i = 0; i < descriptors.Length; i++)
            WriteDescriptor(i, descriptors[i].Address, descriptors[i].Length, descriptors[i].Flags, (ushort)((i + 1) % descriptors.Length));
        Publish(0);
    }

    /// <summary>Raw: puts <paramref name="head"/> in the next available slot and publishes it.</summary>
    public void Publish(ushort head)
    {
        WriteU16(new GuestAddress(Avail.Value + 4 + (ulong)(2 * (_availIndex % Size))), head);
        Interlocked.MemoryBarrier();
        _availIndex++;
        WriteU16(new GuestAddress(Avail.Value + 2), _availIndex);
    }

    /// <summary>Raw: sets avail.idx to any value (hostile-driver tests).</summary>
    public void SetAvailIndex(ushort value)
    {
        _availIndex = value;
        WriteU16(new GuestAddress(Avail.Value + 2), value);
    }

    private static void EncodeDescriptor(Span<byte> bytes, GuestAddress address, uint length, ushort flags, ushort next)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, address.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[14..], next);
    }

    // Ring indexes and event fields are shared with the device: one atomic store or load each.
    private void WriteU16(GuestAddress address, ushort value) => Check(_memory.TryWriteUInt16Volatile(address, value), address);

    private ushort ReadU16(GuestAddress address)
    {
        Check(_memory.TryReadUInt16Volatile(address, out var value), address);
        return value;
    }

    private static void Check(bool ok, GuestAddress address)
    {
        if (!ok)
            throw new ArgumentException($"guest address {address} is outside the driver's memory");
    }
}

/// <summary>One descriptor as a hostile-driver test writes it (<see cref="DriverQueue.PublishRaw"/>): any address, length and flags.</summary>
/// <param name="Address">Where the buffer is (or claims to be).</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="Flags">VIRTQ_DESC_F_* as given, consistent or not.</param>
public readonly record struct RawDescriptor(GuestAddress Address, uint Length, ushort Flags);
