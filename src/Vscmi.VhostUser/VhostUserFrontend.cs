using System.Buffers.Binary;
using System.Net.Sockets;
using Vscmi.Linux;
using Vscmi.Virtio;

namespace Vscmi.VhostUser;

/// <summary>How a <see cref="VhostUserFrontend"/> sets its device up.</summary>
public sealed record VhostUserFrontendOptions
{
    /// <summary>Ring size of both queues (QEMU's vhost-user-scmi uses 256).</summary>
    public int QueueSize { get; init; } = 256;

    /// <summary>Device features the driver accepts (intersected with what the backend offers).</summary>
    public ulong Features { get; init; } = VirtioFeatures.ScmiDevice;

    /// <summary>Post each command as one INDIRECT descriptor when negotiated, as Linux's virtio ring does.</summary>
    public bool UseIndirect { get; init; } = true;

    /// <summary>Guest-physical address of guest RAM (QEMU virt puts RAM at 1 GiB).</summary>
    public ulong MemoryBase { get; init; } = 0x4000_0000;

    /// <summary>
    /// Send the memory table after the rings instead of before them (QEMU sends it first; the
    /// protocol does not require it, so a backend must cope either way).
    /// </summary>
    public bool MemoryTableLast { get; init; }

    /// <summary>
    /// Seal guest RAM's size (F_SEAL_SHRINK | F_SEAL_GROW), as QEMU's memory-backend-memfd does;
    /// false shares memory the frontend could truncate (a backend refuses it unless its model allows).
    /// </summary>
    public bool SealMemory { get; init; } = true;

    /// <summary>How long a control-plane reply may take.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// What QEMU plus a guest's virtio driver do, in C#: guest RAM in a memfd, the vhost-user setup
/// sequence of reference 4.10 (steps 1 and 2), driver-side rings, kick and call eventfds. The
/// whole data path runs through it in tests, in <c>--connect vhost-user:PATH</c> and in
/// benchmarks. Raw accessors (<see cref="RequestAsync"/>, <see cref="Channel"/>, the queues)
/// let tests behave as badly as a hostile frontend can.
/// </summary>
public sealed class VhostUserFrontend : IAsyncDisposable
{
    /// <summary>Bytes per command slot: request at +0 (≤ 132), response at +256 (136), indirect table at +448.</summary>
    internal const int SlotSize = 512;

    /// <summary>Bytes per eventq buffer slot (Linux posts 136-byte buffers).</summary>
    internal const int EventSlotSize = 256;

    /// <summary>The PDU size Linux uses for responses and events: 8 + VIRTIO_SCMI_MAX_MSG_SIZE.</summary>
    public const int PduSize = 136;

    /// <summary>Placed in the frontend's "virtual" address space: a fixed offset from guest-physical, like a VMM's mapping.</summary>
    public const ulong UserAddressOffset = 0x7F00_0000_0000;

    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly FileDescriptor _memfd;
    private readonly VhostUserFrontendOptions _options;

    private VhostUserFrontend(VhostUserChannel channel, VhostUserFrontendOptions options)
    {
        Channel = channel;
        _options = options;
        var size = options.QueueSize;
        var cursor = 0UL;
        ulong Take(ulong bytes, ulong align = 4096)
        {
            cursor = (cursor + align - 1) & ~(align - 1);
            var at = cursor;
            cursor += bytes;
            return options.MemoryBase + at;
        }

        CommandRings = (Take(SplitRing.DescriptorTableBytes(size)), Take(SplitRing.AvailRingBytes(size)), Take(SplitRing.UsedRingBytes(size)));
        EventRings = (Take(SplitRing.DescriptorTableBytes(size)), Take(SplitRing.AvailRingBytes(size)), Take(SplitRing.UsedRingBytes(size)));
        SlotBase = Take((ulong)(size * SlotSize));
        EventBase = Take((ulong)(size * EventSlotSize));
        MemorySize = (long)((cursor + 0xFFFFF) & ~0xFFFFFUL);
        _memfd = MemFd.Create("vscmi-guest", MemorySize, options.SealMemory);
        Memory = new GuestMemory([new GuestMemoryRegion(new GuestAddress(options.MemoryBase), (ulong)MemorySize, options.MemoryBase + UserAddressOffset, _memfd, 0)]);
    }

    /// <summary>The control channel.</summary>
    public VhostUserChannel Channel { get; }

    /// <summary>Guest RAM.</summary>
    public GuestMemory Memory { get; }

    /// <summary>The file behind guest RAM (hostile tests truncate it).</summary>
    public FileDescriptor MemoryFile => _memfd;

    /// <summary>Bytes of guest RAM.</summary>
    public long MemorySize { get; }

    /// <summary>Guest addresses of the cmdq rings.</summary>
    public (ulong Descriptors, ulong Avail, ulong Used) CommandRings { get; }

    /// <summary>Guest addresses of the eventq rings.</summary>
    public (ulong Descriptors, ulong Avail, ulong Used) EventRings { get; }

    internal ulong SlotBase { get; }

    internal ulong EventBase { get; }

    /// <summary>The options in use.</summary>
    public VhostUserFrontendOptions Options => _options;

    /// <summary>Features the backend offered.</summary>
    public ulong OfferedFeatures { get; private set; }

    /// <summary>Features acked to the backend (device bits).</summary>
    public ulong AckedFeatures { get; private set; }

    /// <summary>Protocol features the backend offered.</summary>
    public ulong OfferedProtocolFeatures { get; private set; }

    /// <summary>The driver side of the cmdq (after <see cref="StartAsync"/>).</summary>
    public DriverQueue? CommandQueue { get; private set; }

    /// <summary>The driver side of the eventq (after <see cref="StartAsync"/>).</summary>
    public DriverQueue? EventQueue { get; private set; }

    /// <summary>Kick eventfds (we write them when the driver notifies a queue).</summary>
    public EventFd[] Kicks { get; } = [new(), new()];

    /// <summary>Call eventfds (the backend writes them to interrupt the guest).</summary>
    public EventFd[] Calls { get; } = [new(), new()];

    /// <summary>Error eventfd shared by both rings (the backend writes it when the device breaks).</summary>
    public EventFd Errors { get; } = new();

    /// <summary>Connects to a backend socket without any setup (hostile tests start here).</summary>
    /// <exception cref="SocketException">Nothing listens there.</exception>
    public static async Task<VhostUserFrontend> OpenAsync(string path, VhostUserFrontendOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VhostUserFrontendOptions();
        if (!SplitRing.IsValidSize(options.QueueSize))
            throw new ArgumentException($"queue size {options.QueueSize} is not a power of two up to {SplitRing.MaxQueueSize}", nameof(options));
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new VhostUserFrontend(new VhostUserChannel(socket), options);
    }

    /// <summary>
    /// Waits on <paramref name="listener"/> for a backend that connects (as QEMU with
    /// <c>server=on</c> waits for <c>vscmi serve --vhost-user-client</c>), without any setup.
    /// </summary>
    public static async Task<VhostUserFrontend> AcceptAsync(Socket listener, VhostUserFrontendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        options ??= new VhostUserFrontendOptions();
        if (!SplitRing.IsValidSize(options.QueueSize))
            throw new ArgumentException($"queue size {options.QueueSize} is not a power of two up to {SplitRing.MaxQueueSize}", nameof(options));
        var socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        return new VhostUserFrontend(new VhostUserChannel(socket), options);
    }

    /// <summary>Connects and runs the whole setup, as QEMU does when the guest's driver starts.</summary>
    public static async Task<VhostUserFrontend> ConnectAsync(string path, VhostUserFrontendOptions? options = null, CancellationToken cancellationToken = default)
    {
        var frontend = await OpenAsync(path, options, cancellationToken).ConfigureAwait(false);
        try
        {
            await frontend.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            await frontend.StartAsync(cancellationToken).ConfigureAwait(false);
            return frontend;
        }
        catch
        {
            await frontend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Step 1 (device realize): features, protocol features, queue count, owner, placeholder call fds.</summary>
    public async Task NegotiateAsync(CancellationToken cancellationToken = default)
    {
        OfferedFeatures = (await RequestAsync(VhostUserRequest.GET_FEATURES, [], cancellationToken: cancellationToken).ConfigureAwait(false))!.Value;
        if ((OfferedFeatures & VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES) != 0)
        {
            OfferedProtocolFeatures = (await RequestAsync(VhostUserRequest.GET_PROTOCOL_FEATURES, [], cancellationToken: cancellationToken).ConfigureAwait(false))!.Value;
            var wanted = OfferedProtocolFeatures & (VhostUserProtocolFeatures.MQ | VhostUserProtocolFeatures.REPLY_ACK);
            await RequestAsync(VhostUserRequest.SET_PROTOCOL_FEATURES, U64(wanted), cancellationToken: cancellationToken).ConfigureAwait(false);
            if ((wanted & VhostUserProtocolFeatures.MQ) != 0)
            {
                var queues = await RequestAsync(VhostUserRequest.GET_QUEUE_NUM, [], cancellationToken: cancellationToken).ConfigureAwait(false);
                if (queues < 2)
                    throw new VhostUserProtocolException($"the backend has {queues} queues; virtio-scmi needs 2");
            }
        }

        await RequestAsync(VhostUserRequest.SET_OWNER, [], cancellationToken: cancellationToken).ConfigureAwait(false);
        if ((OfferedFeatures & VirtioFeatures.VIRTIO_F_VERSION_1) == 0)
            throw new VhostUserProtocolException("the backend does not offer VIRTIO_F_VERSION_1, which Linux's SCMI driver requires");
    }

    /// <summary>Step 2 (driver OK): acked features, memory table, both rings, enable, call fds.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        AckedFeatures = OfferedFeatures & _options.Features & ~VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES;
        var protocol = (OfferedFeatures & VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES) != 0;
        await RequestAsync(VhostUserRequest.SET_FEATURES, U64(AckedFeatures | (protocol ? VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES : 0)), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);

        if (!_options.MemoryTableLast)
            await SendMemoryTableAsync(cancellationToken).ConfigureAwait(false);

        var eventIdx = (AckedFeatures & VirtioFeatures.VIRTIO_RING_F_EVENT_IDX) != 0;
        CommandQueue = new DriverQueue(Memory, _options.QueueSize, new(CommandRings.Descriptors), new(CommandRings.Avail), new(CommandRings.Used), eventIdx);
        EventQueue = new DriverQueue(Memory, _options.QueueSize, new(EventRings.Descriptors), new(EventRings.Avail), new(EventRings.Used), eventIdx);
        var rings = (AckedFeatures & VirtioFeatures.VIRTIO_SCMI_F_P2A_CHANNELS) != 0 ? 2 : 1;
        for (var i = 0; i < rings; i++)
        {
            var (descriptors, avail, used) = i == 0 ? CommandRings : EventRings;
            await RequestAsync(VhostUserRequest.SET_VRING_NUM, new VringState((uint)i, (uint)_options.QueueSize).ToArray(), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            await RequestAsync(VhostUserRequest.SET_VRING_BASE, new VringState((uint)i, 0).ToArray(), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            var address = new VringAddress((uint)i, 0, descriptors + UserAddressOffset, used + UserAddressOffset, avail + UserAddressOffset, 0);
            await RequestAsync(VhostUserRequest.SET_VRING_ADDR, address.ToArray(), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            await RequestAsync(VhostUserRequest.SET_VRING_KICK, U64((ulong)i), [Kicks[i].Descriptor], needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            await RequestAsync(VhostUserRequest.SET_VRING_CALL, U64((ulong)i), [Calls[i].Descriptor], needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            await RequestAsync(VhostUserRequest.SET_VRING_ERR, U64((ulong)i), [Errors.Descriptor], needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (protocol)
        {
            for (var i = 0; i < rings; i++)
                await RequestAsync(VhostUserRequest.SET_VRING_ENABLE, new VringState((uint)i, 1).ToArray(), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (_options.MemoryTableLast)
            await SendMemoryTableAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends guest RAM's table (SET_MEM_TABLE with the memfd), as at start and on memory hotplug.</summary>
    public async Task SendMemoryTableAsync(CancellationToken cancellationToken = default)
    {
        var region = Memory.Regions[0];
        var table = MemoryRegion.Table([new MemoryRegion(region.GuestPhysical.Value, region.Size, region.UserAddress, 0)]);
        await RequestAsync(VhostUserRequest.SET_MEM_TABLE, table, [_memfd], needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Step 3 (stop): disables and stops both rings; returns the backend's next available indexes.</summary>
    public async Task<(ushort Commands, ushort Events)> StopAsync(CancellationToken cancellationToken = default)
    {
        var result = new ushort[2];
        for (var i = 0; i < 2; i++)
        {
            if ((OfferedFeatures & VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES) != 0)
                await RequestAsync(VhostUserRequest.SET_VRING_ENABLE, new VringState((uint)i, 0).ToArray(), needReply: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            var state = VringState.FromUInt64((await RequestAsync(VhostUserRequest.GET_VRING_BASE, new VringState((uint)i, 0).ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false))!.Value);
            result[i] = (ushort)state.Num;
        }

        return (result[0], result[1]);
    }

    /// <summary>
    /// Sends one request and, when it has a reply (GET_* requests, or <paramref name="needReply"/>),
    /// returns the reply's u64 (for GET_VRING_BASE: index | num &lt;&lt; 32).
    /// </summary>
    /// <exception cref="VhostUserProtocolException">The backend NACKed, sent a malformed reply, or went away.</exception>
    public async Task<ulong?> RequestAsync(VhostUserRequest request, byte[] payload, FileDescriptor[]? descriptors = null, bool needReply = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var hasReply = VhostUserWire.HasReply(request);
        await _control.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var flags = VhostUserWire.Version | (needReply && !hasReply ? VhostUserWire.NeedReplyFlag : 0);
            Channel.Send(request, flags, payload, descriptors ?? []);
            if (!hasReply && !needReply)
                return null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ReplyTimeout);
            using var reply = await Channel.ReceiveAsync(timeout.Token).ConfigureAwait(false)
                ?? throw new VhostUserProtocolException($"the backend closed the connection instead of answering {request}");
            if (reply.Request != request || (reply.Flags & VhostUserWire.ReplyFlag) == 0 || reply.Payload.Length != 8)
                throw new VhostUserProtocolException($"malformed reply to {request}: {reply.Request}, flags 0x{reply.Flags:X}, {reply.Payload.Length} bytes");
            var value = BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
            if (!hasReply && value != 0)
                throw new VhostUserProtocolException($"the backend refused {request} (status {value})");
            return value;
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>A u64 payload.</summary>
    public static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Guest address of command slot <paramref name="slot"/>.</summary>
    internal GuestAddress Slot(int slot) => new(SlotBase + (ulong)(slot * SlotSize));

    /// <summary>Guest address of eventq buffer <paramref name="index"/>.</summary>
    internal GuestAddress EventSlot(int index) => new(EventBase + (ulong)(index * EventSlotSize));

    /// <summary>Closes the connection (the backend resets the device) and frees guest memory.</summary>
    public ValueTask DisposeAsync()
    {
        Channel.Dispose();
        foreach (var fd in Kicks.Concat(Calls).Append(Errors))
            fd.Dispose();
        Memory.Dispose();
        _memfd.Dispose();
        _control.Dispose();
        return ValueTask.CompletedTask;
    }
}
