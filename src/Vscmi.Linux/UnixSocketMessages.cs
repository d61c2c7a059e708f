using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>
/// The one audited place for <c>sendmsg</c>/<c>recvmsg</c> with <c>SCM_RIGHTS</c> (STYLE 14).
/// Descriptors that arrive are wrapped in <see cref="FileDescriptor"/> before anything else looks
/// at the message; a truncated control message closes whatever did arrive and is an error.
/// </summary>
public static class UnixSocketMessages
{
    /// <summary>The most descriptors one message may carry (vhost-user sends at most 8 memory regions).</summary>
    public const int MaxDescriptors = 16;

    /// <summary>
    /// Receives up to <paramref name="buffer"/>.Length bytes without blocking, appending any
    /// descriptors to <paramref name="descriptors"/>. Returns the byte count, 0 at end of stream,
    /// or -1 when nothing is ready yet (EAGAIN).
    /// </summary>
    /// <exception cref="LinuxException">The socket failed, or more descriptors arrived than fit (they are closed).</exception>
    public static unsafe int Receive(Socket socket, Span<byte> buffer, List<FileDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(descriptors);
        // SAFETY: the kernel writes at most ControlLength bytes of control data into the stack
        // buffer and at most buffer.Length bytes into the pinned buffer; MSG_CTRUNC is checked.
        var controlLength = Libc.CmsgSpace(MaxDescriptors * sizeof(int));
        var control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        fixed (byte* data = buffer)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)buffer.Length };
            var header = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
            var received = Libc.RecvMsg(socket.SafeHandle, &header, Libc.MSG_DONTWAIT | Libc.MSG_CMSG_CLOEXEC);

            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno is Libc.EAGAIN or Libc.EINTR ? -1 : throw new LinuxException("recvmsg", errno);
            }

            // Take ownership of every descriptor first, so an error below leaks none.
            var before = descriptors.Count;
            CollectDescriptors(&header, descriptors);
            if ((header.Flags & Libc.MSG_CTRUNC) != 0)
            {
                for (var i = descriptors.Count - 1; i >= before; i--)
                {
                    descriptors[i].Dispose();
                    descriptors.RemoveAt(i);
                }

                throw new LinuxException($"a message carried more than {MaxDescriptors} file descriptors");
            }

            return (int)received;
        }
    }

    /// <summary>
    /// Whether the peer has closed the connection: a non-blocking one-byte peek that sees end of
    /// stream. Data waiting, or nothing yet, is "open" (a readiness wake-up can be spurious).
    /// </summary>
    public static unsafe bool PeerClosed(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        byte probe;
        // SAFETY: a one-byte receive into a one-byte local.
        var result = Libc.Recv(socket.SafeHandle, &probe, 1, Libc.MSG_PEEK | Libc.MSG_DONTWAIT);

        if (result >= 0)
            return result == 0;
        var errno = Marshal.GetLastPInvokeError();
        return errno is not (Libc.EAGAIN or Libc.EINTR);
    }

    private static unsafe void CollectDescriptors(Libc.MsgHdr* header, List<FileDescriptor> descriptors)
    {
        // SAFETY: walks only [control, control + ControlLength) of a header recvmsg just filled,
        // checking each cmsg's length against what is left before reading it.
        var headerSize = Libc.CmsgAlign(sizeof(Libc.CmsgHdr));
        var offset = 0;
        var control = (byte*)header->Control;
        var length = (int)header->ControlLength;
        while (offset + sizeof(Libc.CmsgHdr) <= length)
        {
            var cmsg = (Libc.CmsgHdr*)(control + offset);
            var cmsgLength = (int)cmsg->Length;
            if (cmsgLength < sizeof(Libc.CmsgHdr) || offset + cmsgLength > length)
                break;
            if (cmsg->Level == Libc.SOL_SOCKET && cmsg->Type == Libc.SCM_RIGHTS)
            {
                var count = (cmsgLength - headerSize) / sizeof(int);
                var fds = (int*)(control + offset + headerSize);
                for (var i = 0; i < count; i++)
                    descriptors.Add(new FileDescriptor(fds[i]));
            }

            offset += Libc.CmsgAlign(cmsgLength);
        }
    }

    /// <summary>
    /// Sends <paramref name="data"/> with <paramref name="descriptors"/> attached to its first byte,
    /// waiting while the socket's buffer is full. The descriptors stay owned by the caller.
    /// </summary>
    /// <exception cref="LinuxException">The socket failed (the peer went away: EPIPE, ECONNRESET).</exception>
    public static unsafe void Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<FileDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (descriptors.Length > MaxDescriptors)
            throw new ArgumentException($"at most {MaxDescriptors} descriptors per message", nameof(descriptors));
        // SAFETY: the cmsg header and descriptors.Length ints fit CMSG_SPACE of them (the layout
        // test checks CMSG_SPACE/CMSG_LEN against gcc); the data span is pinned for the call.
        var controlLength = descriptors.Length == 0 ? 0 : Libc.CmsgSpace(descriptors.Length * sizeof(int));
        var control = stackalloc byte[Math.Max(controlLength, 1)];
        if (controlLength > 0)
        {
            new Span<byte>(control, controlLength).Clear();
            var cmsg = (Libc.CmsgHdr*)control;
            cmsg->Length = (nuint)Libc.CmsgLen(descriptors.Length * sizeof(int));
            cmsg->Level = Libc.SOL_SOCKET;
            cmsg->Type = Libc.SCM_RIGHTS;
            var fds = (int*)(control + Libc.CmsgAlign(sizeof(Libc.CmsgHdr)));
            for (var i = 0; i < descriptors.Length; i++)
                fds[i] = descriptors[i].Value;
        }

        var sent = 0;
        fixed (byte* bytes = data)
        {
            // At least one call, so an empty message still carries its descriptors.
            while (true)
            {
                var iov = new Libc.IoVec { Base = bytes + sent, Length = (nuint)(data.Length - sent) };
                var header = new Libc.MsgHdr { Iov = &iov, IovLength = 1 };
                if (sent == 0 && controlLength > 0)
                {
                    header.Control = control;
                    header.ControlLength = (nuint)controlLength;
                }

                nint result;
                result = Libc.SendMsg(socket.SafeHandle, &header, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);

                if (result < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Libc.EAGAIN or Libc.EINTR)
                    {
                        socket.Poll(100_000, SelectMode.SelectWrite);
                        continue;
                    }

                    throw new LinuxException("sendmsg", errno);
                }

                sent += (int)result;
                if (sent >= data.Length)
                    return;
            }
        }
    }
}
