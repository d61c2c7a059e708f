using System.Net.Sockets;
using Vscmi.Linux;

namespace Vscmi.Linux.Tests;

public sealed class NativeTests
{
    [Fact]
    public void A_memfd_mapped_twice_shares_its_bytes()
    {
        using var fd = MemFd.Create("test", 8192);
        Assert.Equal(8192, fd.Size);
        using var a = MemoryMapping.Map(fd, 0, 8192);
        using var b = MemoryMapping.Map(fd, 4096, 4096);
        a.AsSpan(4096 + 10, 4).Fill(0xAB);
        Assert.Equal(0xAB, b.AsSpan(10, 1)[0]);
    }

    [Fact]
    public void Mapping_past_the_end_of_the_file_is_refused_instead_of_faulting_later()
    {
        using var fd = MemFd.Create("short", 4096);
        var e = Assert.Throws<LinuxException>(() => MemoryMapping.Map(fd, 0, 8192));
        Assert.Contains("4096", e.Message, StringComparison.Ordinal);
        Assert.Throws<LinuxException>(() => MemoryMapping.Map(fd, 8192, 4096));
    }

    [Fact]
    public void A_span_outside_the_mapping_is_refused()
    {
        using var fd = MemFd.Create("span", 4096);
        using var map = MemoryMapping.Map(fd, 0, 4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => map.AsSpan(4090, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.AsSpan(-1, 1));
    }

    [Fact]
    public void A_sealed_memfd_cannot_be_shrunk()
    {
        using var fd = MemFd.Create("sealed", 4096);
        using var stream = new FileStream($"/proc/self/fd/{fd.Value}", FileMode.Open, FileAccess.ReadWrite);
        // EPERM from the seal surfaces as UnauthorizedAccessException.
        Assert.Throws<UnauthorizedAccessException>(() => stream.SetLength(0));
    }

    [Fact]
    public void Eventfd_counts_signals_and_epoll_reports_its_cookie()
    {
        using var epoll = new Epoll();
        using var a = new EventFd();
        using var b = new EventFd();
        epoll.Add(a.Descriptor, 7);
        epoll.Add(b.Descriptor, 0x1_0000_0009);
        Span<ulong> ready = stackalloc ulong[4];
        Assert.Equal(0, epoll.Wait(ready, 0));
        Assert.True(b.Signal());
        Assert.True(b.Signal());
        Assert.Equal(1, epoll.Wait(ready, 1000));
        Assert.Equal(0x1_0000_0009UL, ready[0]);
        Assert.Equal(2UL, b.Consume());
        Assert.Equal(0UL, b.Consume());
        Assert.True(epoll.Remove(a.Descriptor));
        Assert.False(epoll.Remove(a.Descriptor));
    }

    [Fact]
    public void An_edge_triggered_eventfd_rings_once_per_write_without_being_read()
    {
        // The kick fds are watched this way and never read (BackendConnection.OnKick).
        using var epoll = new Epoll();
        using var kick = new EventFd();
        epoll.Add(kick.Descriptor, 3, edgeTriggered: true);
        Span<ulong> ready = stackalloc ulong[4];
        Assert.True(kick.Signal());
        Assert.Equal(1, epoll.Wait(ready, 1000));
        Assert.Equal(0, epoll.Wait(ready, 0)); // not again until the next write, though the counter is 1
        Assert.True(kick.Signal());
        Assert.Equal(1, epoll.Wait(ready, 1000));
        Assert.Equal(3UL, ready[0]);
        Assert.Equal(0, epoll.Wait(ready, 0));
        Assert.Equal(2UL, kick.Consume());
    }

    [Fact]
    public void A_peer_doorbell_is_made_non_blocking_so_a_full_pipe_fails_a_write_instead_of_blocking()
    {
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        pipe.Write(new byte[65536]); // full, and blocking
        using var doorbell = EventFd.FromPeer(new FileDescriptor((int)pipe.SafePipeHandle.DangerousGetHandle()));
        pipe.SafePipeHandle.SetHandleAsInvalid();
        Assert.False(doorbell.Signal()); // EAGAIN, at once
    }

    [Fact]
    public void Descriptors_travel_with_a_message_and_arrive_owned()
    {
        var (left, right) = Pair();
        using (left)
        using (right)
        using (var memfd = MemFd.Create("passed", 4096))
        using (var eventfd = new EventFd())
        {
            UnixSocketMessages.Send(left, [1, 2, 3], [memfd, eventfd.Descriptor]);
            var buffer = new byte[16];
            var fds = new List<FileDescriptor>();
            var count = Receive(right, buffer, fds);
            Assert.Equal(3, count);
            Assert.Equal(2, fds.Count);
            Assert.Equal(4096, fds[0].Size);
            using var received = new EventFd(fds[1]);
            Assert.True(received.Signal());
            Assert.Equal(1UL, eventfd.Consume());
            fds[0].Dispose();
        }
    }

    [Fact]
    public void Too_many_descriptors_are_closed_and_reported()
    {
        var (left, right) = Pair();
        using (left)
        using (right)
        {
            var many = Enumerable.Range(0, UnixSocketMessages.MaxDescriptors).Select(_ => new EventFd()).ToList();
            var extra = Enumerable.Range(0, 4).Select(_ => new EventFd()).ToList();
            UnixSocketMessages.Send(left, [1], many.Select(e => e.Descriptor).ToArray());
            var fds = new List<FileDescriptor>();
            Assert.Equal(1, Receive(right, new byte[4], fds));
            Assert.Equal(UnixSocketMessages.MaxDescriptors, fds.Count);
            fds.ForEach(f => f.Dispose());
            many.Concat(extra).ToList().ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public void Nothing_ready_is_minus_one_and_a_closed_peer_is_zero()
    {
        var (left, right) = Pair();
        using (right)
        {
            var fds = new List<FileDescriptor>();
            Assert.Equal(-1, UnixSocketMessages.Receive(right, new byte[4], fds));
            left.Dispose();
            Assert.Equal(0, UnixSocketMessages.Receive(right, new byte[4], fds));
        }
    }

    [Fact]
    public void PeerClosed_tells_end_of_stream_from_data_and_from_nothing()
    {
        var (left, right) = Pair();
        using (right)
        {
            Assert.False(UnixSocketMessages.PeerClosed(right));
            UnixSocketMessages.Send(left, [7], []);
            right.Poll(1_000_000, SelectMode.SelectRead);
            Assert.False(UnixSocketMessages.PeerClosed(right));
            Assert.Equal(1, UnixSocketMessages.Receive(right, new byte[4], []));
            left.Dispose();
            Assert.True(UnixSocketMessages.PeerClosed(right));
        }
    }

    private static int Receive(Socket socket, byte[] buffer, List<FileDescriptor> fds)
    {
        for (var i = 0; i < 1000; i++)
        {
            var count = UnixSocketMessages.Receive(socket, buffer, fds);
            if (count >= 0)
                return count;
            socket.Poll(10_000, SelectMode.SelectRead);
        }

        throw new TimeoutException();
    }

    private static (Socket Left, Socket Right) Pair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vscmi-linux-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var left = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        left.Connect(new UnixDomainSocketEndPoint(path));
        var right = listener.Accept();
        File.Delete(path);
        return (left, right);
    }
}
