using Vscmi.Linux;

namespace Vscmi.Virtio;

/// <summary>A guest-physical address: what descriptors carry (its own type, STYLE 12).</summary>
/// <param name="Value">The address.</param>
public readonly record struct GuestAddress(ulong Value)
{
    /// <inheritdoc />
    public override string ToString() => $"0x{Value:X}";
}

/// <summary>
/// One region of guest RAM: where it sits in the guest (<see cref="GuestPhysical"/>), where it
/// sits in the frontend's address space (<see cref="UserAddress"/>, what vhost-user ring addresses
/// use), and our mapping of it (reference 4.10, memory region).
/// </summary>
public sealed class GuestMemoryRegion : IDisposable
{
    private readonly MemoryMapping _mapping;
    private readonly long _mappingOffset;

    /// <summary>Describes and maps a region: <paramref name="size"/> bytes of <paramref name="fd"/> starting at <paramref name="mmapOffset"/>.</summary>
    /// <exception cref="ArgumentException">The region's addresses wrap around.</exception>
    /// <exception cref="LinuxException">The file does not cover the region, or mmap failed.</exception>
    public GuestMemoryRegion(GuestAddress guestPhysical, ulong size, ulong userAddress, FileDescriptor fd, ulong mmapOffset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (size == 0 || size > long.MaxValue / 2 || mmapOffset > long.MaxValue / 2)
            throw new ArgumentException($"a region of {size} bytes at mmap offset {mmapOffset} is not mappable");
        if (guestPhysical.Value + size < guestPhysical.Value || userAddress + size < userAddress)
            throw new ArgumentException($"region {guestPhysical}+0x{size:X} wraps around the address space");

        // mmap offsets must be page aligned; map from the page below and remember the difference.
        var pageOffset = (long)(mmapOffset % 4096);
        _mapping = MemoryMapping.Map(fd, (long)mmapOffset - pageOffset, (long)size + pageOffset);
        _mappingOffset = pageOffset;
        GuestPhysical = guestPhysical;
        Size = size;
        UserAddress = userAddress;
    }

    /// <summary>First guest-physical address.</summary>
    public GuestAddress GuestPhysical { get; }

    /// <summary>Length in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Where the frontend has it mapped.</summary>
    public ulong UserAddress { get; }

    /// <summary>Host pointer of the region's first byte.</summary>
    internal nint HostBase => _mapping.Address + (nint)_mappingOffset;

    /// <inheritdoc />
    public void Dispose() => _mapping.Dispose();
}

/// <summary>
/// Guest RAM as a set of mapped regions. Every translation is checked arithmetic: a range must lie
/// wholly inside one region, otherwise the answer is false, never a wild pointer (STYLE 12;
/// rust-vmm vm-memory). The guest can change the bytes at any moment, so callers copy what they
/// read once and never re-read a field they validated.
/// </summary>
public sealed class GuestMemory : IDisposable
{
    private static long s_generations;
    private readonly GuestMemoryRegion[] _regions;

    /// <summary>Takes ownership of <paramref name="regions"/>.</summary>
    /// <exception cref="ArgumentException">Two regions overlap in guest-physical space.</exception>
    public GuestMemory(IReadOnlyList<GuestMemoryRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        _regions = [.. regions.OrderBy(r => r.GuestPhysical.Value)];
        for (var i = 1; i < _regions.Length; i++)
        {
            var previous = _regions[i - 1];
            if (previous.GuestPhysical.Value + previous.Size > _regions[i].GuestPhysical.Value)
                throw new ArgumentException($"guest regions at {previous.GuestPhysical} and {_regions[i].GuestPhysical} overlap");
        }

        Generation = Interlocked.Increment(ref s_generations);
    }

    /// <summary>
    /// Which memory table this is, unique in the process: host pointers translated through it are
    /// valid only while it is the current table, so whoever caches them keys them to this.
    /// </summary>
    public long Generation { get; }

    /// <summary>An empty memory (before the frontend sent its table): every translation fails.</summary>
    public static GuestMemory Empty { get; } = new([]);

    /// <summary>The regions, by guest-physical address.</summary>
    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    /// <summary>The host pointer for <paramref name="length"/> bytes at guest-physical <paramref name="address"/>.</summary>
    public bool TryTranslate(GuestAddress address, ulong length, out nint host)
    {
        foreach (var region in _regions)
        {
            var offset = address.Value - region.GuestPhysical.Value;
            if (address.Value >= region.GuestPhysical.Value && offset < region.Size && length <= region.Size - offset)
            {
                host = region.HostBase + (nint)offset;
                return true;
            }
        }

        host = 0;
        return false;
    }

    /// <summary>
    /// The guest-physical address of <paramref name="length"/> bytes at the frontend's virtual
    /// <paramref name="userAddress"/> (vhost-user ring addresses are the frontend's; the virtio
    /// layer deals only in guest-physical ones). False unless the range lies in one region.
    /// </summary>
    public bool TryUserToGuest(ulong userAddress, ulong length, out GuestAddress guest)
    {
        foreach (var region in _regions)
        {
            var offset = userAddress - region.UserAddress;
            if (userAddress >= region.UserAddress && offset < region.Size && length <= region.Size - offset)
            {
                guest = new GuestAddress(region.GuestPhysical.Value + offset);
                return true;
            }
        }

        guest = default;
        return false;
    }

    /// <summary>Copies guest bytes out; false when the range is not wholly in one region.</summary>
    public unsafe bool TryRead(GuestAddress address, Span<byte> destination)
    {
        if (!TryTranslate(address, (ulong)destination.Length, out var host))
            return false;

        // SAFETY: TryTranslate checked the whole range against a live mapping.
        new ReadOnlySpan<byte>((void*)host, destination.Length).CopyTo(destination);
        return true;
    }

    /// <summary>Copies bytes into the guest; false when the range is not wholly in one region.</summary>
    public unsafe bool TryWrite(GuestAddress address, ReadOnlySpan<byte> source)
    {
        if (!TryTranslate(address, (ulong)source.Length, out var host))
            return false;

        // SAFETY: TryTranslate checked the whole range against a live mapping.
        source.CopyTo(new Span<byte>((void*)host, source.Length));
        return true;
    }

    /// <summary>
    /// Reads a ring index as one atomic 16-bit load with acquire ordering (the other side may be
    /// writing it). False when the address is outside memory or not 2-byte aligned.
    /// </summary>
    public bool TryReadUInt16Volatile(GuestAddress address, out ushort value)
    {
        value = 0;
        if (address.Value % 2 != 0 || !TryTranslate(address, 2, out var host))
            return false;

        value = RingWord.ReadVolatile((nint)host);
        return true;
    }

    /// <summary>
    /// Writes a ring index as one atomic 16-bit store with release ordering: a byte-wise copy
    /// could be seen half-written by the other side (a torn avail.idx reads as a jump of
    /// thousands of entries — found by CI under load). False when outside memory or misaligned.
    /// </summary>
    public bool TryWriteUInt16Volatile(GuestAddress address, ushort value)
    {
        if (address.Value % 2 != 0 || !TryTranslate(address, 2, out var host))
            return false;

        RingWord.WriteVolatile((nint)host, value);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var region in _regions)
            region.Dispose();
    }
}
