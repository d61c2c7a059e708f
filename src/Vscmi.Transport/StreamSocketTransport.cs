using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Vscmi.Transport;

/// <summary>
/// SCMI over a stream socket (Unix or loopback TCP). Every message in both directions is a frame:
/// a 4-byte little-endian length N, then N bytes (the header, then the payload). Delayed responses
/// and notifications share the connection. One connection is one agent channel.
/// </summary>
public sealed class StreamSocketTransport : IScmiTransport
{
    /// <summary>Frames above this are not drained but end the connection (a length this large is an attack or garbage).</summary>
    public const int HardFrameLimit = 64 * 1024;

    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _sendBuffer;
    private readonly byte[] _lengthBuffer = new byte[4];
    private readonly byte[] _drainBuffer = new byte[4096];
    private int _disposed;

    /// <summary>Wraps a connected socket.</summary>
    public StreamSocketTransport(Socket socket, TransportCapabilities capabilities, string description)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(capabilities);
        _socket = socket;
        Capabilities = capabilities;
        Description = description;
        _sendBuffer = new byte[4 + capabilities.MaxMessageSize];
    }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Connects to a stream endpoint (<c>unix:PATH</c> or <c>tcp:HOST:PORT</c>).</summary>
    public static async Task<StreamSocketTransport> ConnectAsync(StreamEndpoint endpoint, TransportCapabilities capabilities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = endpoint.CreateSocket();
        try
        {
            await socket.ConnectAsync(endpoint.EndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new StreamSocketTransport(socket, capabilities, endpoint.ToString());
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var got = await ReadExactlyOrEndAsync(_lengthBuffer, cancellationToken).ConfigureAwait(false);
        if (got == 0)
            return 0;
        if (got < 4)
            throw new ScmiTransportException("the peer closed the connection inside a frame's length");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_lengthBuffer);
        if (length < 4)
            throw new ScmiTransportException($"a frame of {length} bytes cannot hold the 4-byte SCMI header");
        if (length > HardFrameLimit)
            throw new ScmiTransportException($"a frame of {length} bytes is beyond any SCMI message ({HardFrameLimit} at most)");
        if (length > buffer.Length)
        {
            // Keep the header so the platform can answer; drain the rest so the stream stays framed.
            await ReadExactlyAsync(_lengthBuffer, cancellationToken).ConfigureAwait(false);
            var header = BinaryPrimitives.ReadUInt32LittleEndian(_lengthBuffer);
            for (var left = (int)length - 4; left > 0;)
            {
                var chunk = Math.Min(left, _drainBuffer.Length);
                await ReadExactlyAsync(_drainBuffer.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
                left -= chunk;
            }

            throw new OversizedMessageException(header, (int)length, buffer.Length);
        }

        await ReadExactlyAsync(buffer[..(int)length], cancellationToken).ConfigureAwait(false);
        return (int)length;
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > Capabilities.MaxMessageSize)
            throw new ArgumentException($"a {message.Length}-byte message exceeds the channel's {Capabilities.MaxMessageSize} bytes", nameof(message));
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One write per frame: length and message together, so frames never interleave.
            BinaryPrimitives.WriteUInt32LittleEndian(_sendBuffer, (uint)message.Length);
            message.CopyTo(_sendBuffer.AsMemory(4));
            var frame = _sendBuffer.AsMemory(0, 4 + message.Length);
            while (!frame.IsEmpty)
            {
                var sent = await _socket.SendAsync(frame, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                frame = frame[sent..];
            }
        }
        catch (SocketException e)
        {
            throw new ScmiTransportException($"{Description}: send failed: {e.Message}", e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already gone.
            }

            _socket.Dispose();
            _sendLock.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask<int> ReadExactlyOrEndAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer[total..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new ScmiTransportException($"{Description}: receive failed: {e.Message}", e);
            }

            if (read == 0)
                return total;
            total += read;
        }

        return total;
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (await ReadExactlyOrEndAsync(buffer, cancellationToken).ConfigureAwait(false) != buffer.Length)
            throw new ScmiTransportException("the peer closed the connection inside a frame");
    }
}

/// <summary>A stream endpoint: <c>unix:PATH</c> (or a bare path) or <c>tcp:HOST:PORT</c>.</summary>
public sealed record StreamEndpoint
{
    private StreamEndpoint(EndPoint endPoint, string text, string? unixPath)
    {
        EndPoint = endPoint;
        Text = text;
        UnixPath = unixPath;
    }

    /// <summary>The socket address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The Unix socket path, when it is one.</summary>
    public string? UnixPath { get; }

    private string Text { get; }

    /// <summary>Parses <c>unix:PATH</c>, <c>tcp:HOST:PORT</c>, or a bare path.</summary>
    /// <param name="text">The endpoint.</param>
    /// <param name="anyPort">For a listener: port 0 asks the system for a free port (the listener logs the one it got).</param>
    /// <exception cref="FormatException">The text is neither form; the message says why.</exception>
    public static StreamEndpoint Parse(string text, bool anyPort = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var hostPort = text[4..];
            var colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || !ushort.TryParse(hostPort[(colon + 1)..], out var port) || (port == 0 && !anyPort))
                throw new FormatException($"'{text}' is not tcp:HOST:PORT (for example tcp:127.0.0.1:4000)");
            var host = hostPort[..colon].Trim('[', ']');
            if (!IPAddress.TryParse(host == "localhost" ? "127.0.0.1" : host, out var address))
                throw new FormatException($"'{host}' in '{text}' is not an IP address (use 127.0.0.1 or ::1)");
            return new StreamEndpoint(new IPEndPoint(address, port), $"tcp:{hostPort}", null);
        }

        var path = text.StartsWith("unix:", StringComparison.Ordinal) ? text[5..] : text;
        if (path.Length == 0)
            throw new FormatException("an empty Unix socket path");
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107)
            throw new FormatException($"Unix socket path '{path}' is longer than the 107 bytes sockaddr_un holds");
        return new StreamEndpoint(new UnixDomainSocketEndPoint(path), $"unix:{path}", path);
    }

    /// <summary>A socket of the right family.</summary>
    public Socket CreateSocket() => UnixPath is not null
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    /// <inheritdoc />
    public override string ToString() => Text;
}
