using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>
/// An epoll set for a data-plane thread (STYLE 16): descriptors registered with a 64-bit cookie,
/// <see cref="Wait"/> returns the cookies of the ready ones. Registered descriptors are
/// referenced, not owned.
/// </summary>
public sealed unsafe class Epoll : IDisposable
{
    /// <summary><c>EPOLLIN</c>.</summary>
    public const uint EPOLLIN = 0x001;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes)
    // (<sys/epoll.h>: __EPOLL_PACKED only for __x86_64__); the struct-layout test checks this.
    internal static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private readonly FileDescriptor _fd = new(LinuxError.Check(Libc.EpollCreate1(Libc.EPOLL_CLOEXEC), "epoll_create1"));

    /// <summary>Watches <paramref name="fd"/> for input, reporting <paramref name="cookie"/>.</summary>
    public void Add(FileDescriptor fd, ulong cookie)
    {
        ArgumentNullException.ThrowIfNull(fd);
        var buffer = stackalloc byte[16];
        WriteEvent(buffer, EPOLLIN, cookie);
        LinuxError.Check(Libc.EpollCtl(_fd.Value, Libc.EPOLL_CTL_ADD, fd.Value, buffer), "epoll_ctl(ADD)");
    }

    /// <summary>Stops watching <paramref name="fd"/>; false when it was not watched.</summary>
    public bool Remove(FileDescriptor fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        var buffer = stackalloc byte[16];
        return Libc.EpollCtl(_fd.Value, Libc.EPOLL_CTL_DEL, fd.Value, buffer) == 0;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) and writes the cookies of ready
    /// descriptors into <paramref name="cookies"/>; returns how many. An interrupted wait returns 0.
    /// </summary>
    public int Wait(Span<ulong> cookies, int timeoutMs)
    {
        var max = Math.Min(cookies.Length, 64);
        var buffer = stackalloc byte[64 * 16];
        var count = Libc.EpollWait(_fd.Value, buffer, max, timeoutMs);
        if (count < 0)
            return Marshal.GetLastPInvokeError() == Libc.EINTR ? 0 : throw LinuxError.Last("epoll_wait");
        for (var i = 0; i < count; i++)
            cookies[i] = *(ulong*)(buffer + (i * EventSize) + 4 + (EventSize == 16 ? 4 : 0));
        return count;
    }

    private static void WriteEvent(byte* buffer, uint events, ulong cookie)
    {
        *(uint*)buffer = events;
        *(ulong*)(buffer + (EventSize == 16 ? 8 : 4)) = cookie;
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
