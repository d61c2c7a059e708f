namespace Vscmi.Transport;

/// <summary>What a transport can carry (Linux's <c>scmi_desc</c>; STYLE 11).</summary>
/// <param name="MaxPayload">Largest payload after the header (and after the status word of a reply), in bytes.</param>
/// <param name="MaxInFlight">Commands the channel can have outstanding at once.</param>
/// <param name="HasP2A">Whether notifications and delayed responses travel on this channel.</param>
public sealed record TransportCapabilities(int MaxPayload, int MaxInFlight, bool HasP2A)
{
    /// <summary>The reply timeout of a channel that does not say otherwise.</summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an agent waits for a reply on this channel. Per transport, as Linux keeps
    /// <c>max_rx_timeout_ms</c> in each <c>scmi_desc</c> (60 s for virtio, 30 ms for a mailbox):
    /// a local socket answers in microseconds, a VM's device may be paused.
    /// </summary>
    public TimeSpan ReplyTimeout { get; init; } = DefaultReplyTimeout;

    /// <summary>Largest whole message: header, status and payload.</summary>
    public int MaxMessageSize => 8 + MaxPayload;
}

/// <summary>
/// One SCMI channel, either end. The one narrow contract every transport implements: whole
/// messages in, whole messages out. A message is the 32-bit header followed by its payload.
/// </summary>
public interface IScmiTransport : IAsyncDisposable
{
    /// <summary>What this channel can carry.</summary>
    TransportCapabilities Capabilities { get; }

    /// <summary>A name for logs (the peer or the socket).</summary>
    string Description { get; }

    /// <summary>
    /// Receives the next message into <paramref name="buffer"/> and returns its length; 0 when the
    /// peer closed the channel cleanly.
    /// </summary>
    /// <exception cref="OversizedMessageException">The message is larger than the buffer; its header is kept so it can be answered.</exception>
    /// <exception cref="ScmiTransportException">The channel is broken (malformed framing, reset); it cannot be used any more.</exception>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends one message. Safe to call from several tasks at once.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>
    /// Sends what a transport that coalesces replies still holds (a server calls it when a command
    /// gets no reply, so the replies before it do not wait for the next one). Most transports send
    /// at once and hold nothing.
    /// </summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>The channel is broken and was closed.</summary>
public class ScmiTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScmiTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public ScmiTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiTransportException()
        : base("the SCMI channel is broken")
    {
    }
}

/// <summary>A message too large for the channel was received and discarded; the channel is still usable.</summary>
public sealed class OversizedMessageException : ScmiTransportException
{
    /// <summary>Creates the exception.</summary>
    public OversizedMessageException(uint header, int length, int limit)
        : base($"a {length}-byte message exceeds the channel's {limit} bytes")
    {
        Header = header;
        Length = length;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public OversizedMessageException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public OversizedMessageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public OversizedMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The message's header word, so the platform can answer it.</summary>
    public uint Header { get; }

    /// <summary>The message's length.</summary>
    public int Length { get; }
}
