using System.Threading.Channels;
using Vscmi.Linux;
using Vscmi.Transport;
using Vscmi.Virtio;

namespace Vscmi.VhostUser;

/// <summary>
/// The agent's end of a virtio-scmi device reached through our vhost-user frontend, behind the
/// same <see cref="IScmiTransport"/> as every other transport. Commands go into cmdq slots (one
/// chain per command, like Linux: request then a 136-byte response buffer); responses, delayed
/// responses and notifications come back on a completion thread that waits on the call eventfds.
/// </summary>
public sealed class VhostUserTransport : IScmiTransport
{
    private readonly VhostUserFrontend _frontend;
    private readonly DriverQueue _commands;
    private readonly DriverQueue? _events;
    private readonly Lock _lock = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly SemaphoreSlim _slots;
    private readonly int[] _slotOfHead;
    private readonly int[] _eventOfHead;
    private readonly bool _indirect;
    private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Epoll _epoll = new();
    private readonly EventFd _exit = new();
    private readonly Thread _completions;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _monitor;

    private VhostUserTransport(VhostUserFrontend frontend, string description)
    {
        _frontend = frontend;
        Description = description;
        _commands = frontend.CommandQueue ?? throw new InvalidOperationException("the frontend has not started its rings");
        _events = (frontend.AckedFeatures & VirtioFeatures.VIRTIO_SCMI_F_P2A_CHANNELS) != 0 ? frontend.EventQueue : null;
        _indirect = frontend.Options.UseIndirect && (frontend.AckedFeatures & VirtioFeatures.VIRTIO_RING_F_INDIRECT_DESC) != 0;
        var size = frontend.Options.QueueSize;

        // Linux: max pending = min(cmdq size / 2, 1024) with two descriptors per command (reference 4.4).
        var inFlight = _indirect ? size : Math.Max(1, size / 2);
        Capabilities = new TransportCapabilities(VirtioScmiDevice.MaxPayload, inFlight, _events is not null) { ReplyTimeout = frontend.Options.ReplyTimeout };
        _slots = new SemaphoreSlim(inFlight, inFlight);
        for (var i = inFlight - 1; i >= 0; i--)
            _freeSlots.Push(i);
        _slotOfHead = new int[size];
        _eventOfHead = new int[size];

        if (_events is not null)
        {
            for (var i = 0; i < size; i++)
                PostEventBuffer(i);
            if (_events.ShouldKick())
                frontend.Kicks[VirtioScmiDevice.EventQueue].Signal();
        }

        _epoll.Add(_exit.Descriptor, ulong.MaxValue);
        _epoll.Add(frontend.Calls[0].Descriptor, 0);
        _epoll.Add(frontend.Calls[1].Descriptor, 1);
        _completions = new Thread(RunCompletions) { IsBackground = true, Name = "vhost-user frontend completions" };
        _completions.Start();
        _monitor = MonitorAsync();
    }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>The frontend underneath (tests reach its queues).</summary>
    public VhostUserFrontend Frontend => _frontend;

    /// <summary>Connects to a backend socket, sets the device up and returns the transport.</summary>
    public static async Task<VhostUserTransport> ConnectAsync(string path, VhostUserFrontendOptions? options = null, CancellationToken cancellationToken = default)
    {
        var frontend = await VhostUserFrontend.ConnectAsync(path, options, cancellationToken).ConfigureAwait(false);
        return new VhostUserTransport(frontend, $"vhost-user:{path}");
    }

    /// <summary>The transport over a frontend that has already started its rings (takes ownership).</summary>
    public static VhostUserTransport Over(VhostUserFrontend frontend)
    {
        ArgumentNullException.ThrowIfNull(frontend);
        return new VhostUserTransport(frontend, $"vhost-user:{frontend.Channel.Socket.RemoteEndPoint}");
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > 4 + Capabilities.MaxPayload)
            throw new ArgumentException($"a {message.Length}-byte message exceeds virtio-scmi's {4 + Capabilities.MaxPayload} bytes", nameof(message));
        if (_incoming.Reader.Completion.IsCompleted)
            throw new ScmiTransportException("the vhost-user backend closed the connection");
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool kick;
        lock (_lock)
        {
            var slot = _freeSlots.Pop();
            var request = _frontend.Slot(slot);
            var response = new GuestAddress(request.Value + 256);
            _frontend.Memory.TryWrite(request, message.Span);
            ReadOnlySpan<BufferSegment> chain = [new(request, (uint)message.Length, false), new(response, VhostUserFrontend.PduSize, true)];
            ushort head;
            var added = _indirect
                ? _commands.TryAddIndirect(chain, new GuestAddress(request.Value + 448), out head)
                : _commands.TryAdd(chain, out head);
            if (!added)
                throw new InvalidOperationException("no free descriptors although a slot was free");
            _slotOfHead[head] = slot;
            kick = _commands.ShouldKick();
        }

        if (kick)
            _frontend.Kicks[VirtioScmiDevice.CommandQueue].Signal();
    }

    /// <inheritdoc />
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // A channel completed with an error (the backend went away) throws that ScmiTransportException here.
        if (!await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_incoming.Reader.TryRead(out var message))
            return 0;

        if (message.Length > buffer.Length)
            throw new OversizedMessageException(message.Length >= 4 ? BitConverter.ToUInt32(message) : 0, message.Length, buffer.Length);
        message.CopyTo(buffer);
        return message.Length;
    }

    private void PostEventBuffer(int index)
    {
        _events!.TryAdd([new BufferSegment(_frontend.EventSlot(index), VhostUserFrontend.PduSize, true)], out var head);
        _eventOfHead[head] = index;
    }

    private void RunCompletions()
    {
        Span<ulong> ready = stackalloc ulong[4];
        while (true)
        {
            var count = _epoll.Wait(ready, 100);
            for (var i = 0; i < count; i++)
            {
                if (ready[i] == ulong.MaxValue)
                    return;
                _frontend.Calls[(int)ready[i]].Consume();
            }

            // Also polled every 100 ms: a backend that suppresses interrupts still gets its work collected.
            Harvest();
        }
    }

    private void Harvest()
    {
        var kickEvents = false;
        lock (_lock)
        {
            while (_commands.TryTakeUsed(out var head, out var length))
            {
                var slot = _slotOfHead[head];
                var bytes = new byte[Math.Min(length, (uint)VhostUserFrontend.PduSize)];
                _frontend.Memory.TryRead(new GuestAddress(_frontend.Slot(slot).Value + 256), bytes);
                _freeSlots.Push(slot);
                _slots.Release();

                // An empty used entry (the backend could not answer) carries nothing to route.
                if (bytes.Length >= 8)
                    _incoming.Writer.TryWrite(bytes);
            }

            if (_events is not null)
            {
                while (_events.TryTakeUsed(out var head, out var length))
                {
                    var index = _eventOfHead[head];
                    var bytes = new byte[Math.Min(length, (uint)VhostUserFrontend.PduSize)];
                    _frontend.Memory.TryRead(_frontend.EventSlot(index), bytes);
                    if (bytes.Length >= 4)
                        _incoming.Writer.TryWrite(bytes);
                    PostEventBuffer(index);
                }

                kickEvents = _events.ShouldKick();
            }
        }

        if (kickEvents)
            _frontend.Kicks[VirtioScmiDevice.EventQueue].Signal();
    }

    // The backend sends nothing unsolicited on the control socket, so readability means it went
    // away; a readiness wake-up can be spurious (our native reads bypass the runtime's view of the
    // socket), so the end of stream is confirmed with a peek.
    private async Task MonitorAsync()
    {
        var socket = _frontend.Channel.Socket;
        try
        {
            while (true)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, System.Net.Sockets.SocketFlags.None, _closing.Token).ConfigureAwait(false);
                if (UnixSocketMessages.PeerClosed(socket))
                {
                    _incoming.Writer.TryComplete(new ScmiTransportException("the vhost-user backend closed the connection"));
                    return;
                }

                await Task.Delay(50, _closing.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            _incoming.Writer.TryComplete(new ScmiTransportException($"the vhost-user connection failed: {e.Message}", e));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        await _monitor.ConfigureAwait(false);
        _exit.Signal();
        _completions.Join();
        _incoming.Writer.TryComplete();
        await _frontend.DisposeAsync().ConfigureAwait(false);
        _epoll.Dispose();
        _exit.Dispose();
        _slots.Dispose();
        _closing.Dispose();
    }
}
