namespace Vscmi.Linux;

/// <summary>
/// A shared read-write mapping of a file (<c>mmap(NULL, length, RW, MAP_SHARED, fd, offset)</c>);
/// never <c>MAP_FIXED</c> (STYLE 12). Unmapped on dispose; using it afterwards is a bug the
/// owner prevents (guest memory drops its regions only when no ring walks them).
/// </summary>
public sealed class MemoryMapping : IDisposable
{
    private nint _address;

    private MemoryMapping(nint address, long length)
    {
        _address = address;
        Length = length;
    }

    /// <summary>Where the mapping starts in this process.</summary>
    public nint Address => _address != 0 ? _address : throw new ObjectDisposedException(nameof(MemoryMapping));

    /// <summary>Its length in bytes.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="fd"/> from <paramref name="offset"/>.
    /// The file must cover the whole range: touching a page past its end would raise SIGBUS, so a
    /// peer's short file is refused here rather than discovered by a crash.
    /// </summary>
    /// <exception cref="LinuxException">The file is too short, or mmap failed.</exception>
    public static MemoryMapping Map(FileDescriptor fd, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var size = fd.Size;
        if (size >= 0 && (offset > size || length > size - offset))
            throw new LinuxException($"the file is {size} bytes; it cannot back {length} bytes at offset {offset}");
        var address = Libc.Mmap(0, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, offset);
        if (address == -1)
            throw LinuxError.Last("mmap");
        return new MemoryMapping(address, length);
    }

    /// <summary>The mapping as a span (for tests and for the frontend's own memory).</summary>
    public unsafe Span<byte> AsSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{length} bytes at {offset} are outside the {Length}-byte mapping");

        // SAFETY: the range was just checked against the live mapping's length.
        return new Span<byte>((void*)(Address + (nint)offset), length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
            _ = Libc.Munmap(address, (nuint)Length);
    }
}
