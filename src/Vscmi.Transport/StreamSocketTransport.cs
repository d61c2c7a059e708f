using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Vscmi.Transport;

/// <summary>
/// SCMI over a stream socket (Unix or loopback TCP). Every message in both directions is a frame:
/// a 4-byte little-endian length N, then N bytes (the header, then the payload). Delayed responses
/// and notifications share the connection. One connection is one agent channel.
/// </summary>
/// <remarks>
/// Pipelined (issue 18): one receive takes every frame the socket has (frames may be split
/// anywhere; the rest of a frame is read when it comes), and with <see cref="CoalesceReplies"/> a
/// reply sent while another whole command is already received waits in a batch that goes out with
/// one send after the last of them. Memory per connection stays bounded: one inbox, one outbox.
/// </remarks>
public sealed class StreamSocketTransport : IScmiTransport
{
    /// <summary>Frames above this are not drained but end the connection (a length this large is an attack or garbage).</summary>
    public const int HardFrameLimit = 64 * 1024;

    /// <summary>Bytes one receive may take (more when one message needs more).</summary>
    public const int InboxSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _outbox;
    private int _outboxLength;
    private readonly byte[] _inbox;
    private int _inStart;
    private int _inEnd;
    private int _disposed;

    /// <summary>Wraps a connected socket.</summary>
    public StreamSocketTransport(Socket socket, TransportCapabilities capabilities, string description)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(capabilities);
        _socket = socket;
        Capabilities = capabilities;
        Description = description;
        _inbox = new byte[Math.Max(InboxSize, 8 + capabilities.MaxMessageSize)];
        _outbox = new byte[Math.Max(InboxSize, 4 + capabilities.MaxMessageSize)];
    }

    /// <summary>
    /// For a connection given a thread of its own (the platform's side): receives block that thread
    /// in recv(2) and sends are synchronous, so a burst costs one wake-up of one thread instead of
    /// the socket engine's thread and a thread-pool hop (measured: 2.4× the messages at 64 in flight,
    /// docs/performance.md). A send that cannot progress for <see cref="SendTimeout"/> (a peer that
    /// stopped reading) ends the connection. Set before the first receive or send.
    /// </summary>
    public bool Synchronous
    {
        get => _synchronous;
        init
        {
            _synchronous = value;
            if (value)
                _socket.SendTimeout = (int)_sendTimeout.TotalMilliseconds;
        }
    }

    private readonly bool _synchronous;
    private readonly TimeSpan _sendTimeout = DefaultSendTimeout;

    /// <summary>How long a synchronous send may wait for a peer that does not read; then the connection ends.</summary>
    public TimeSpan SendTimeout
    {
        get => _sendTimeout;
        init
        {
            if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(value), value, "a send timeout is positive and under 24 days");
            _sendTimeout = value;
            if (_synchronous)
                _socket.SendTimeout = (int)value.TotalMilliseconds;
        }
    }

    /// <summary>
    /// Ends a synchronous receive from another thread (the daemon stopping): the socket is shut
    /// down, the blocked recv(2) returns as at a close, and the connection's loop ends.
    /// </summary>
    public void Interrupt()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>The default <see cref="SendTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether a message sent while a whole command is already received waits for the replies to
    /// that command (one send for the batch). For the platform's side; <see cref="FlushAsync"/>
    /// sends what waits.
    /// </summary>
    public bool CoalesceReplies { get; set; }

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
        if (!await FillAsync(4, atBoundary: true, cancellationToken).ConfigureAwait(false))
            return 0;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_inbox.AsSpan(_inStart));
        if (length < 4)
            throw new ScmiTransportException($"a frame of {length} bytes cannot hold the 4-byte SCMI header");
        if (length > HardFrameLimit)
            throw new ScmiTransportException($"a frame of {length} bytes is beyond any SCMI message ({HardFrameLimit} at most)");
        if (length > buffer.Length)
        {
            // Keep the header so the platform can answer; drain the rest so the stream stays framed.
            await FillAsync(8, atBoundary: false, cancellationToken).ConfigureAwait(false);
            var header = BinaryPrimitives.ReadUInt32LittleEndian(_inbox.AsSpan(_inStart + 4));
            _inStart += 8;
            for (var left = (int)length - 4; left > 0;)
            {
                await FillAsync(1, atBoundary: false, cancellationToken).ConfigureAwait(false);
                var chunk = Math.Min(left, _inEnd - _inStart);
                _inStart += chunk;
                left -= chunk;
            }

            throw new OversizedMessageException(header, (int)length, buffer.Length);
        }

        await FillAsync(4 + (int)length, atBoundary: false, cancellationToken).ConfigureAwait(false);
        _inbox.AsSpan(_inStart + 4, (int)length).CopyTo(buffer.Span);
        Volatile.Write(ref _inStart, _inStart + 4 + (int)length);
        return (int)length;
    }

    /// <summary>Whether a whole frame is already received (then a coalescing send waits for its reply).</summary>
    private bool HasWholeFrame()
    {
        var start = Volatile.Read(ref _inStart);
        var available = Volatile.Read(ref _inEnd) - start;
        return available >= 4 && available >= 4 + (long)BinaryPrimitives.ReadUInt32LittleEndian(_inbox.AsSpan(start));
    }

    /// <summary>
    /// Makes at least <paramref name="count"/> bytes available at <see cref="_inStart"/>, taking
    /// whatever the socket has beyond them. False only at a frame boundary when the peer closed.
    /// </summary>
    private async ValueTask<bool> FillAsync(int count, bool atBoundary, CancellationToken cancellationToken)
    {
        if (_inEnd - _inStart >= count)
            return true;
        if (_inStart > 0)
        {
            // Compact: the partial frame moves to the front, so the rest fits behind it.
            var kept = _inEnd - _inStart;
            _inbox.AsSpan(_inStart, kept).CopyTo(_inbox);
            Volatile.Write(ref _inStart, 0);
            Volatile.Write(ref _inEnd, kept);
        }

        while (_inEnd < count)
        {
            int read;
            try
            {
                read = Synchronous
                    ? _socket.Receive(_inbox.AsSpan(_inEnd), SocketFlags.None)
                    : await _socket.ReceiveAsync(_inbox.AsMemory(_inEnd), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new ScmiTransportException($"{Description}: receive failed: {e.Message}", e);
            }

            if (read == 0)
            {
                if (atBoundary && _inEnd == 0)
                    return false;
                throw new ScmiTransportException(_inEnd < 4 && atBoundary
                    ? "the peer closed the connection inside a frame's length"
                    : "the peer closed the connection inside a frame");
            }

            Volatile.Write(ref _inEnd, _inEnd + read);
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > Capabilities.MaxMessageSize)
            throw new ArgumentException($"a {message.Length}-byte message exceeds the channel's {Capabilities.MaxMessageSize} bytes", nameof(message));
        await WaitToSendAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_outboxLength + 4 + message.Length > _outbox.Length)
                await SendOutboxAsync(cancellationToken).ConfigureAwait(false);
            // Length and message together in one buffer, so frames never interleave.
            BinaryPrimitives.WriteUInt32LittleEndian(_outbox.AsSpan(_outboxLength), (uint)message.Length);
            message.CopyTo(_outbox.AsMemory(_outboxLength + 4));
            _outboxLength += 4 + message.Length;
            if (!CoalesceReplies || !HasWholeFrame())
                await SendOutboxAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await WaitToSendAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendOutboxAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // Synchronous: a thread that waits here stays the connection's (an asynchronous wait would
    // resume the receive loop on a pool thread and block that one in recv).
    private ValueTask WaitToSendAsync(CancellationToken cancellationToken)
    {
        if (!Synchronous)
            return new ValueTask(_sendLock.WaitAsync(cancellationToken));
        _sendLock.Wait(cancellationToken);
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendOutboxAsync(CancellationToken cancellationToken)
    {
        var frames = _outbox.AsMemory(0, _outboxLength);
        _outboxLength = 0;
        try
        {
            while (!frames.IsEmpty)
            {
                var sent = Synchronous
                    ? _socket.Send(frames.Span, SocketFlags.None)
                    : await _socket.SendAsync(frames, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                frames = frames[sent..];
            }
        }
        catch (SocketException e)
        {
            throw new ScmiTransportException($"{Description}: send failed: {e.Message}", e);
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
