using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>
/// An epoll set for a data-plane thread (STYLE 16): descriptors registered with a 64-bit cookie,
/// <see cref="Wait"/> returns the cookies of the ready ones. Registered descriptors are
/// referenced, not owned.
/// </summary>
public sealed class Epoll : IDisposable
{
    /// <summary><c>EPOLLIN</c>.</summary>
    public const uint EPOLLIN = 0x001;

    /// <summary><c>EPOLLET</c>: edge-triggered.</summary>
    public const uint EPOLLET = 1u << 31;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes)
    // (<sys/epoll.h>: __EPOLL_PACKED only for __x86_64__); the struct-layout test checks this.
    internal static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private readonly FileDescriptor _fd = new(LinuxError.Check(Libc.EpollCreate1(Libc.EPOLL_CLOEXEC), "epoll_create1"));

    /// <summary>
    /// Watches <paramref name="fd"/> for input, reporting <paramref name="cookie"/>. Edge-triggered,
    /// a descriptor is reported once per write to it and need not be read: for an eventfd each
    /// write wakes its waiters (eventfd_write), so a doorbell the caller never reads still rings.
    /// </summary>
    public unsafe void Add(FileDescriptor fd, ulong cookie, bool edgeTriggered = false)
    {
        ArgumentNullException.ThrowIfNull(fd);
        // SAFETY: one epoll_event (12 or 16 bytes) fits the 16-byte stack buffer.
        var buffer = stackalloc byte[16];
        WriteEvent(buffer, EPOLLIN | (edgeTriggered ? EPOLLET : 0), cookie);
        LinuxError.Check(Libc.EpollCtl(_fd, Libc.EPOLL_CTL_ADD, fd, buffer), "epoll_ctl(ADD)");
    }

    /// <summary>Stops watching <paramref name="fd"/>; false when it was not watched.</summary>
    public unsafe bool Remove(FileDescriptor fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        // SAFETY: DEL ignores the event, but old kernels want a valid pointer: 16 bytes on the stack.
        var buffer = stackalloc byte[16];
        return Libc.EpollCtl(_fd, Libc.EPOLL_CTL_DEL, fd, buffer) == 0;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) and writes the cookies of ready
    /// descriptors into <paramref name="cookies"/>; returns how many. An interrupted wait returns 0.
    /// </summary>
    public unsafe int Wait(Span<ulong> cookies, int timeoutMs)
    {
        var max = Math.Min(cookies.Length, 64);
        // SAFETY: at most max (<= 64) events of at most 16 bytes are written into 64 * 16 bytes,
        // and only the first count are read back.
        var buffer = stackalloc byte[64 * 16];
        var count = Libc.EpollWait(_fd, buffer, max, timeoutMs);
        if (count < 0)
            return Marshal.GetLastPInvokeError() == Libc.EINTR ? 0 : throw LinuxError.Last("epoll_wait");
        for (var i = 0; i < count; i++)
            cookies[i] = *(ulong*)(buffer + (i * EventSize) + 4 + (EventSize == 16 ? 4 : 0));
        return count;
    }

    private static unsafe void WriteEvent(byte* buffer, uint events, ulong cookie)
    {
        // SAFETY: callers pass at least EventSize bytes; the fields are at the layout test's offsets.
        *(uint*)buffer = events;
        *(ulong*)(buffer + (EventSize == 16 ? 8 : 4)) = cookie;
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
