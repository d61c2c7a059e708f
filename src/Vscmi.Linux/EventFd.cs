namespace Vscmi.Linux;

/// <summary>
/// An eventfd: the kick and call doorbells of vhost-user, and the exit signal of the data-plane
/// thread. Non-blocking; <see cref="Consume"/> returns the counter or 0.
/// </summary>
public sealed class EventFd : IDisposable
{
    /// <summary>Creates a new non-blocking eventfd.</summary>
    public EventFd()
        : this(new FileDescriptor(LinuxError.Check(Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), "eventfd")))
    {
    }

    /// <summary>Wraps a descriptor received from a peer (it may not even be an eventfd; writes then fail and are reported).</summary>
    public EventFd(FileDescriptor descriptor) => Descriptor = descriptor ?? throw new ArgumentNullException(nameof(descriptor));

    /// <summary>
    /// Wraps a descriptor a peer sent as a doorbell and makes it non-blocking: a call or error fd is
    /// written from any thread, possibly under the platform's lock, so a peer that hands over a
    /// full pipe must get a failed write, never a daemon stuck in write(2). (O_NONBLOCK belongs to
    /// the open file, which the peer shares; an eventfd from QEMU is non-blocking already.)
    /// </summary>
    public static EventFd FromPeer(FileDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var flags = Libc.Fcntl(descriptor, Libc.F_GETFL, 0);
        if (flags >= 0 && (flags & Libc.O_NONBLOCK) == 0)
            Libc.Fcntl(descriptor, Libc.F_SETFL, flags | Libc.O_NONBLOCK);
        return new EventFd(descriptor);
    }

    /// <summary>The owned descriptor.</summary>
    public FileDescriptor Descriptor { get; }

    /// <summary>Adds one to the counter (wakes the reader). False when the write failed (a peer's fd that is not an eventfd).</summary>
    public unsafe bool Signal()
    {
        ulong one = 1;
        // SAFETY: eventfd reads and writes exactly 8 bytes; the pointer is to a local of 8 bytes.
        return Libc.Write(Descriptor, &one, 8) == 8;
    }

    /// <summary>Reads and clears the counter; 0 when nothing was signalled.</summary>
    public unsafe ulong Consume()
    {
        ulong value = 0;
        // SAFETY: as in Signal.
        return Libc.Read(Descriptor, &value, 8) == 8 ? value : 0;
    }

    /// <inheritdoc />
    public void Dispose() => Descriptor.Dispose();
}
