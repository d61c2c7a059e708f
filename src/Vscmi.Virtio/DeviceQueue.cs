using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Vscmi.Virtio;

/// <summary>Why a queue was found broken. Each is the driver's fault; the device stops using the queue.</summary>
public enum VirtqueueError
{
    /// <summary>Nothing wrong.</summary>
    None,

    /// <summary>avail.idx moved more than a queue size past the last processed entry.</summary>
    AvailIndexAhead,

    /// <summary>A head index at or past the queue size.</summary>
    HeadOutOfRange,

    /// <summary>A <c>next</c> index past the table.</summary>
    NextOutOfRange,

    /// <summary>More descriptors than the queue size: a loop or an over-long chain.</summary>
    ChainTooLong,

    /// <summary>A buffer or table not wholly inside guest memory.</summary>
    BadAddress,

    /// <summary>An INDIRECT descriptor without VIRTIO_RING_F_INDIRECT_DESC negotiated.</summary>
    IndirectNotNegotiated,

    /// <summary>An INDIRECT descriptor inside an indirect table.</summary>
    NestedIndirect,

    /// <summary>INDIRECT and NEXT on one descriptor.</summary>
    IndirectWithNext,

    /// <summary>An indirect table whose length is zero, not a multiple of 16 or longer than the queue.</summary>
    BadIndirectLength,

    /// <summary>A device-readable descriptor after a device-writable one.</summary>
    ReadableAfterWritable,
}

/// <summary>
/// One popped descriptor chain: its head and its buffers, already translated and checked.
/// <para>
/// Valid only until the queue's next <see cref="DeviceQueue.TryPop"/>, configure or memory change:
/// the queue reuses one instance (popping allocates nothing), and its host pointers belong to the
/// memory table that was current when it was popped. Copy out what must outlive that.
/// </para>
/// </summary>
public sealed class DescriptorChain
{
    // Arrays with counts, not lists: walked for every command (a list's enumerator checks its
    // version on every step). They grow only for a chain of more than 4 buffers (Linux uses 2).
    private (nint Host, int Length)[] _readable = new (nint, int)[4];
    private (nint Host, int Length)[] _writable = new (nint, int)[4];
    private int _readableCount;
    private int _writableCount;
    private readonly DeviceQueue _queue;
    private long _generation;

    internal DescriptorChain(DeviceQueue queue) => _queue = queue;

    /// <summary>
    /// Whether the host pointers are still those of the current memory table: a chain popped
    /// before a new table was installed reads nothing and takes no write.
    /// </summary>
    public bool IsCurrent => _generation == _queue.MemoryGeneration;

    /// <summary>The head index, to return in the used ring.</summary>
    public ushort Head { get; private set; }

    /// <summary>Total device-readable bytes.</summary>
    public long ReadableLength { get; private set; }

    /// <summary>Total device-writable bytes.</summary>
    public long WritableLength { get; private set; }

    internal void Reset(ushort head, long generation)
    {
        Head = head;
        _generation = generation;
        _readableCount = 0;
        _writableCount = 0;
        ReadableLength = 0;
        WritableLength = 0;
    }

    internal void Add(nint host, int length, bool writable)
    {
        if (writable)
        {
            Append(ref _writable, ref _writableCount, host, length);
            WritableLength += length;
        }
        else
        {
            Append(ref _readable, ref _readableCount, host, length);
            ReadableLength += length;
        }
    }

    private static void Append(ref (nint Host, int Length)[] buffers, ref int count, nint host, int length)
    {
        if (count == buffers.Length)
            Array.Resize(ref buffers, buffers.Length * 2);
        buffers[count++] = (host, length);
    }

    internal bool HasWritable => _writableCount > 0;

    /// <summary>Copies the readable bytes (across any split) into <paramref name="destination"/>; returns how many were copied.</summary>
    public unsafe int CopyReadable(Span<byte> destination)
    {
        var copied = 0;
        if (!IsCurrent)
            return 0;
        foreach (var (host, length) in _readable.AsSpan(0, _readableCount))
        {
            var take = Math.Min(length, destination.Length - copied);
            if (take <= 0)
                break;

            // SAFETY: translated and bounds-checked when the chain was popped, under the queue owner's lock.
            new ReadOnlySpan<byte>((void*)host, take).CopyTo(destination[copied..]);
            copied += take;
        }

        return copied;
    }

    /// <summary>Writes <paramref name="source"/> into the writable buffers from their first byte; false (nothing written) when it does not fit.</summary>
    public unsafe bool TryWrite(ReadOnlySpan<byte> source)
    {
        if (source.Length > WritableLength || !IsCurrent)
            return false;
        var written = 0;
        foreach (var (host, length) in _writable.AsSpan(0, _writableCount))
        {
            var take = Math.Min(length, source.Length - written);
            if (take <= 0)
                break;

            // SAFETY: as in CopyReadable.
            source.Slice(written, take).CopyTo(new Span<byte>((void*)host, take));
            written += take;
        }

        return true;
    }
}

/// <summary>
/// The device side of a split virtqueue (reference 4.9; model: rust-vmm virtio-queue). Reads the
/// available ring, walks chains with every index and address checked and every walk bounded by
/// the queue size, and publishes used entries with release ordering. Not thread-safe: its owner
/// serialises calls (the virtio-scmi device holds its lock).
/// </summary>
public sealed class DeviceQueue
{
    private readonly DescriptorChain _chain;
    private GuestMemory _memory = GuestMemory.Empty;

    /// <summary>Creates an unconfigured queue.</summary>
    public DeviceQueue() => _chain = new DescriptorChain(this);

    /// <summary>The <see cref="GuestMemory.Generation"/> the cached ring pointers were translated in (0: none).</summary>
    public long MemoryGeneration => IsReady ? _memory.Generation : 0;
    private nint _descriptors;
    private nint _avail;
    private nint _used;
    private ushort _signalledUsed;
    private (GuestAddress Descriptors, GuestAddress Avail, GuestAddress Used, ulong Features) _configuration;

    /// <summary>Queue size (number of descriptors).</summary>
    public int Size { get; private set; }

    /// <summary>Whether rings are configured and translated.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Next available-ring entry to process (free-running).</summary>
    public ushort LastAvail { get; private set; }

    /// <summary>Next used-ring index to publish (free-running).</summary>
    public ushort NextUsed { get; private set; }

    /// <summary>Whether VIRTIO_RING_F_EVENT_IDX was negotiated.</summary>
    public bool EventIdx { get; private set; }

    /// <summary>Whether VIRTIO_RING_F_INDIRECT_DESC was negotiated.</summary>
    public bool IndirectDescriptors { get; private set; }

    /// <summary>
    /// Points the queue at its rings, at guest-physical addresses (a vhost-user frontend's virtual
    /// ones are translated by the vhost layer); the rings must lie wholly in guest memory and be
    /// aligned (desc 16, avail 2, used 4). Returns null, or why the configuration is refused.
    /// </summary>
    public string? Configure(GuestMemory memory, int size, GuestAddress descriptorTable, GuestAddress availRing, GuestAddress usedRing, ushort lastAvail, ulong features)
    {
        ArgumentNullException.ThrowIfNull(memory);
        IsReady = false;
        if (!SplitRing.IsValidSize(size))
            return $"queue size {size} is not a power of two from 1 to {SplitRing.MaxQueueSize}";
        if (descriptorTable.Value % 16 != 0 || availRing.Value % 2 != 0 || usedRing.Value % 4 != 0)
            return $"misaligned rings (descriptors {descriptorTable} need 16, available {availRing} 2, used {usedRing} 4)";
        if (!memory.TryTranslate(descriptorTable, SplitRing.DescriptorTableBytes(size), out var descriptors))
            return $"descriptor table {descriptorTable} (+{SplitRing.DescriptorTableBytes(size)}) is outside guest memory";
        if (!memory.TryTranslate(availRing, SplitRing.AvailRingBytes(size), out var avail))
            return $"available ring {availRing} (+{SplitRing.AvailRingBytes(size)}) is outside guest memory";
        if (!memory.TryTranslate(usedRing, SplitRing.UsedRingBytes(size), out var used))
            return $"used ring {usedRing} (+{SplitRing.UsedRingBytes(size)}) is outside guest memory";

        _memory = memory;
        _configuration = (descriptorTable, availRing, usedRing, features);
        _descriptors = descriptors;
        _avail = avail;
        _used = used;
        Size = size;
        LastAvail = lastAvail;
        EventIdx = (features & VirtioFeatures.VIRTIO_RING_F_EVENT_IDX) != 0;
        IndirectDescriptors = (features & VirtioFeatures.VIRTIO_RING_F_INDIRECT_DESC) != 0;

        // A ring (re)started by a new frontend continues from the used index the guest sees.
        NextUsed = RingWord.ReadVolatile(_used + 2);
        _signalledUsed = NextUsed;
        IsReady = true;
        return null;
    }

    /// <summary>
    /// Moves a configured queue to a new memory table (vhost-user SET_MEM_TABLE while running, as
    /// on memory hotplug): the same guest-physical ring addresses, translated again, processing
    /// continues where it was. Returns null, or why the rings no longer fit (the queue is then
    /// unconfigured). The cached host pointers belong to one table (<see cref="GuestMemory.Generation"/>):
    /// a chain popped before the switch can no longer be read or written.
    /// </summary>
    public string? Retranslate(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!IsReady || memory.Generation == _memory.Generation)
            return null;
        var (descriptors, avail, used, features) = _configuration;
        var error = Configure(memory, Size, descriptors, avail, used, LastAvail, features);
        if (error is not null)
            Unconfigure();
        return error;
    }

    /// <summary>Forgets the rings (stop, reset, new memory table).</summary>
    public void Unconfigure()
    {
        IsReady = false;
        _memory = GuestMemory.Empty;
        _descriptors = _avail = _used = 0;
    }

    /// <summary>
    /// Takes the next available chain. Returns false with <see cref="VirtqueueError.None"/> when
    /// the ring is empty, false with an error when the driver broke the rules. The chain is the
    /// queue's one reused instance: it is valid until the next pop (see <see cref="DescriptorChain"/>).
    /// </summary>
    public bool TryPop(out DescriptorChain chain, out VirtqueueError error)
    {
        chain = _chain;
        error = VirtqueueError.None;
        if (!IsReady)
            return false;

        // Acquire: ring entries written before avail.idx are visible once we see the new idx.
        var availIndex = RingWord.ReadVolatile(_avail + 2);
        var pending = (ushort)(availIndex - LastAvail);
        if (pending == 0)
            return false;
        if (pending > Size)
        {
            error = VirtqueueError.AvailIndexAhead;
            return false;
        }

        var head = RingWord.Read(_avail + 4 + (2 * (LastAvail % Size)));
        LastAvail++;
        error = Walk(head);
        return error == VirtqueueError.None;
    }

    private unsafe VirtqueueError Walk(ushort head)
    {
        _chain.Reset(head, _memory.Generation);
        if (head >= Size)
            return VirtqueueError.HeadOutOfRange;
        var table = _descriptors;
        var tableSize = Size;
        var index = (int)head;
        var indirect = false;
        var visited = 0;
        while (true)
        {
            if (++visited > Size)
                return VirtqueueError.ChainTooLong;

            // Read each field once: the guest may rewrite the descriptor while we look at it.
            // SAFETY: index < tableSize was checked, and the table (the ring's, or an indirect one)
            // was translated for tableSize descriptors inside a live mapping.
            var entry = new ReadOnlySpan<byte>((void*)(table + (index * SplitRing.DescriptorSize)), SplitRing.DescriptorSize);
            var address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(entry[12..]);
            var next = BinaryPrimitives.ReadUInt16LittleEndian(entry[14..]);

            if ((flags & SplitRing.VIRTQ_DESC_F_INDIRECT) != 0)
            {
                if (!IndirectDescriptors)
                    return VirtqueueError.IndirectNotNegotiated;
                if (indirect)
                    return VirtqueueError.NestedIndirect;
                if ((flags & SplitRing.VIRTQ_DESC_F_NEXT) != 0)
                    return VirtqueueError.IndirectWithNext;
                if (length == 0 || length % SplitRing.DescriptorSize != 0 || length / SplitRing.DescriptorSize > (uint)Size)
                    return VirtqueueError.BadIndirectLength;
                if (!_memory.TryTranslate(new GuestAddress(address), length, out table))
                    return VirtqueueError.BadAddress;
                tableSize = (int)(length / SplitRing.DescriptorSize);
                index = 0;
                indirect = true;
                continue;
            }

            var writable = (flags & SplitRing.VIRTQ_DESC_F_WRITE) != 0;
            if (!writable && _chain.HasWritable)
                return VirtqueueError.ReadableAfterWritable;
            if (length > 0)
            {
                if (length > int.MaxValue || !_memory.TryTranslate(new GuestAddress(address), length, out var host))
                    return VirtqueueError.BadAddress;
                _chain.Add(host, (int)length, writable);
            }

            if ((flags & SplitRing.VIRTQ_DESC_F_NEXT) == 0)
                return VirtqueueError.None;
            if (next >= tableSize)
                return VirtqueueError.NextOutOfRange;
            index = next;
        }
    }

    /// <summary>
    /// Adds a used entry: the chain's head and the bytes written. With <paramref name="publish"/>
    /// the used index follows at once (release, after the entry); without, the caller publishes a
    /// whole batch with one <see cref="PublishUsed"/> (one store to the index's shared cache line).
    /// </summary>
    public void AddUsed(ushort head, uint length, bool publish = true)
    {
        if (!IsReady)
            return;
        var slot = _used + 4 + (8 * (NextUsed % Size));
        RingWord.Write(slot, head);
        RingWord.Write(slot + 2, (ushort)0);
        RingWord.Write(slot + 4, length);
        NextUsed++;
        if (publish)
            RingWord.WriteVolatile(_used + 2, NextUsed);
    }

    /// <summary>Publishes the used index for every entry added since (release: the entries are visible first).</summary>
    public void PublishUsed()
    {
        if (IsReady)
            RingWord.WriteVolatile(_used + 2, NextUsed);
    }

    /// <summary>
    /// Whether the driver wants a used-buffer notification for what was published since the last
    /// call (EVENT_IDX: used_event; otherwise the NO_INTERRUPT flag). Call once per batch.
    /// </summary>
    public bool ShouldNotifyDriver()
    {
        if (!IsReady)
            return false;
        var old = _signalledUsed;
        _signalledUsed = NextUsed;
        if (old == NextUsed)
            return false;

        // Full fence: our used.idx store must be visible before we read the driver's used_event,
        // or both sides could decide the other will act (reference 4.9).
        Interlocked.MemoryBarrier();
        if (EventIdx)
        {
            var usedEvent = RingWord.ReadVolatile(_avail + 4 + (2 * Size));
            return SplitRing.NeedEvent(usedEvent, NextUsed, old);
        }

        return (RingWord.ReadVolatile(_avail) & SplitRing.VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
    }

    /// <summary>
    /// EVENT_IDX only: the driver's used_event, the used index it wants an interrupt after. Linux
    /// writes it when it re-enables callbacks, after handling every used entry before it, so it
    /// also says how far the driver has read. False without EVENT_IDX or rings.
    /// </summary>
    public bool TryReadUsedEvent(out ushort usedEvent)
    {
        usedEvent = 0;
        if (!IsReady || !EventIdx)
            return false;
        usedEvent = RingWord.ReadVolatile(_avail + 4 + (2 * Size));
        return true;
    }

    /// <summary>
    /// Asks the driver to kick for the next buffer (EVENT_IDX: avail_event = last processed) and
    /// says whether more arrived meanwhile, so the caller processes again instead of sleeping.
    /// </summary>
    public bool RearmAndCheck()
    {
        if (!IsReady)
            return false;
        if (EventIdx)
            RingWord.WriteVolatile(_used + 4 + (8 * Size), LastAvail);
        Interlocked.MemoryBarrier();
        return RingWord.ReadVolatile(_avail + 2) != LastAvail;
    }
}
