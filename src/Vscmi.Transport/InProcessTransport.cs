using System.Threading.Channels;

namespace Vscmi.Transport;

/// <summary>Two connected in-memory channel ends, for tests and for running agent and platform in one process.</summary>
public sealed class InProcessTransport : IScmiTransport
{
    private readonly ChannelReader<byte[]> _incoming;
    private readonly ChannelWriter<byte[]> _outgoing;

    private InProcessTransport(ChannelReader<byte[]> incoming, ChannelWriter<byte[]> outgoing, TransportCapabilities capabilities, string description)
    {
        _incoming = incoming;
        _outgoing = outgoing;
        Capabilities = capabilities;
        Description = description;
    }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Creates a connected pair: what one end sends, the other receives.</summary>
    public static (InProcessTransport Agent, InProcessTransport Platform) CreatePair(TransportCapabilities capabilities)
    {
        var toPlatform = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var toAgent = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        return (new InProcessTransport(toAgent.Reader, toPlatform.Writer, capabilities, "in-process agent end"),
            new InProcessTransport(toPlatform.Reader, toAgent.Writer, capabilities, "in-process platform end"));
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!await _incoming.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_incoming.TryRead(out var message))
            return 0;
        if (message.Length > buffer.Length)
            throw new OversizedMessageException(message.Length >= 4 ? BitConverter.ToUInt32(message) : 0, message.Length, buffer.Length);
        message.CopyTo(buffer);
        return message.Length;
    }

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (!_outgoing.TryWrite(message.ToArray()))
            throw new ScmiTransportException("the in-process channel is closed");
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _outgoing.TryComplete();
        return ValueTask.CompletedTask;
    }
}
