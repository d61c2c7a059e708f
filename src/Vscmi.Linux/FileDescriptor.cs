using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>
/// An owned file descriptor. Descriptors received from a peer are wrapped in one of these the
/// moment they arrive (STYLE 14), so none leaks whatever the message turns out to be.
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public FileDescriptor(int fd)
        : base(-1, ownsHandle: true) => SetHandle(fd);

    /// <summary>Creates an invalid descriptor (for the marshaller).</summary>
    public FileDescriptor()
        : base(-1, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == -1;

    /// <summary>The raw number, for logs and for calls inside this project.</summary>
    public int Value => (int)handle;

    /// <summary>The size of the file (<c>lseek(fd, 0, SEEK_END)</c>); -1 when it has none (a pipe, an eventfd).</summary>
    public long Size
    {
        get
        {
            var size = Libc.Lseek(this, 0, Libc.SEEK_END);
            return size < 0 ? -1 : size;
        }
    }

    /// <summary>
    /// Whether the file cannot shrink (memfd F_SEAL_SHRINK, as QEMU's memory-backend-memfd sets):
    /// a mapping of it can then never fault with SIGBUS because its owner truncated it. False for a
    /// memfd without the seal and for any file that cannot be sealed (tmpfs, hugetlbfs, disk files).
    /// </summary>
    public bool CannotShrink
    {
        get
        {
            var seals = Libc.Fcntl(this, Libc.F_GET_SEALS, 0);
            return seals >= 0 && (seals & Libc.F_SEAL_SHRINK) != 0;
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
