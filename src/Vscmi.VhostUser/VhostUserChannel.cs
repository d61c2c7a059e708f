using System.Buffers.Binary;
using System.Net.Sockets;
using Vscmi.Linux;

namespace Vscmi.VhostUser;

/// <summary>The peer broke vhost-user framing (bad version, oversized payload, closed mid-message); the connection is over.</summary>
public sealed class VhostUserProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VhostUserProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public VhostUserProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public VhostUserProtocolException()
        : base("vhost-user protocol violation")
    {
    }
}

/// <summary>
/// Framing on a vhost-user Unix socket, for either end: waits for the socket asynchronously (the
/// control plane is async, STYLE 16) and moves bytes and descriptors with <see cref="UnixSocketMessages"/>.
/// </summary>
public sealed class VhostUserChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _header = new byte[VhostUserWire.HeaderSize];

    /// <summary>Wraps a connected socket (owned).</summary>
    public VhostUserChannel(Socket socket) => _socket = socket ?? throw new ArgumentNullException(nameof(socket));

    /// <summary>The socket.</summary>
    public Socket Socket => _socket;

    /// <summary>
    /// Receives one message; null when the peer closed the connection between messages.
    /// </summary>
    /// <exception cref="VhostUserProtocolException">Bad version bits, an oversized payload, or a close mid-message.</exception>
    public async ValueTask<VhostUserMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var descriptors = new List<FileDescriptor>();
        try
        {
            if (!await FillAsync(_header, descriptors, allowCleanEnd: true, cancellationToken).ConfigureAwait(false))
                return null;
            var request = (VhostUserRequest)BinaryPrimitives.ReadUInt32LittleEndian(_header);
            var flags = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(4));
            var size = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
            if ((flags & 0x3) != VhostUserWire.Version)
                throw new VhostUserProtocolException($"message {request} has version {flags & 0x3}; only version 1 exists");
            if (size > VhostUserWire.MaxPayload)
                throw new VhostUserProtocolException($"message {request} announces a {size}-byte payload (limit {VhostUserWire.MaxPayload})");
            var payload = new byte[size];
            if (size > 0)
                await FillAsync(payload, descriptors, allowCleanEnd: false, cancellationToken).ConfigureAwait(false);
            return new VhostUserMessage(request, flags, payload, descriptors);
        }
        catch
        {
            foreach (var fd in descriptors)
                fd.Dispose();
            throw;
        }
    }

    private async ValueTask<bool> FillAsync(Memory<byte> buffer, List<FileDescriptor> descriptors, bool allowCleanEnd, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            int count;
            try
            {
                count = UnixSocketMessages.Receive(_socket, buffer.Span[filled..], descriptors);
            }
            catch (LinuxException e)
            {
                throw new VhostUserProtocolException(e.Message, e);
            }

            if (count == 0)
            {
                if (allowCleanEnd && filled == 0)
                    return false;
                throw new VhostUserProtocolException($"the peer closed the connection inside a message ({filled} of {buffer.Length} bytes)");
            }

            if (count < 0)
            {
                // Nothing yet: a zero-byte receive completes when the socket becomes readable.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                continue;
            }

            filled += count;
        }

        return true;
    }

    /// <summary>Sends a message, with descriptors attached. Safe from one task at a time.</summary>
    /// <exception cref="VhostUserProtocolException">The peer went away.</exception>
    public void Send(VhostUserRequest request, uint flags, ReadOnlySpan<byte> payload, ReadOnlySpan<FileDescriptor> descriptors = default)
    {
        Span<byte> message = stackalloc byte[VhostUserWire.HeaderSize + payload.Length];
        VhostUserWire.WriteHeader(message, request, flags, payload.Length);
        payload.CopyTo(message[VhostUserWire.HeaderSize..]);
        SendRaw(message, descriptors);
    }

    /// <summary>Sends raw bytes (hostile-frontend tests).</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<FileDescriptor> descriptors = default)
    {
        try
        {
            UnixSocketMessages.Send(_socket, bytes, descriptors);
        }
        catch (LinuxException e)
        {
            throw new VhostUserProtocolException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
