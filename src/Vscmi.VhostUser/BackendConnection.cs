using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Vscmi.Linux;
using Vscmi.Platform;
using Vscmi.Virtio;

namespace Vscmi.VhostUser;

/// <summary>
/// One frontend connection to a vhost-user backend: the control-plane state machine of
/// reference 4.10 over a <see cref="VirtioScmiDevice"/>. Each request is validated (payload size,
/// descriptors only where allowed, ring index, addresses) before it changes anything; a refused
/// request is logged and NACKed when the frontend asked for a reply, and the connection goes on.
/// </summary>
internal sealed partial class BackendConnection : IDisposable
{
    /// <summary>
    /// What the vhost layer keeps of a ring: its file descriptors, and ring addresses the frontend
    /// sent before any memory table could translate them. Everything else (size, guest-physical
    /// addresses, base, enabled, started) is the device's <see cref="Vring"/>.
    /// </summary>
    private sealed class Ring
    {
        public EventFd? Kick;
        public EventFd? Call;
        public EventFd? Err;
        public VringAddress? Untranslated;
    }

    /// <summary>The data plane's cookie for <see cref="_eventsWaiting"/> (ring cookies are the ring indexes).</summary>
    private const int EventsCookie = 2;

    private readonly ScmiPlatform _platform;
    private readonly int _agentId;
    private readonly VhostUserChannel _channel;
    private readonly VirtioScmiDevice _device;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly Ring[] _rings = [new(), new()];
    private readonly Lock _fdLock = new();
    private readonly DataPlane _dataPlane;

    // Signalled by whatever thread queues a platform-to-agent message; the data-plane thread then
    // moves it from the session's outbox into the eventq.
    private readonly EventFd _eventsWaiting = new();
    private GuestMemory _memory = GuestMemory.Empty;
    private byte _status;

    public BackendConnection(VhostUserChannel channel, ScmiPlatform platform, int agentId, string name, ILogger logger)
    {
        _platform = platform;
        _agentId = agentId;
        _channel = channel;
        _logger = logger;
        _name = name;
        _device = new VirtioScmiDevice(platform, agentId, name, NotifyDriver, logger) { Broken = OnBroken, EventsWaiting = WakeForEvents };
        _dataPlane = new DataPlane(name, OnKick, OnKickFault);
        _dataPlane.Watch(_eventsWaiting.Descriptor, EventsCookie);
    }

    /// <summary>Serves requests until the frontend disconnects.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            using var message = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (message is null)
                return;
            Handle(message);
        }
    }

    private void Handle(VhostUserMessage message)
    {
        LogRequest(_name, message.Request, message.Payload.Length, message.DescriptorCount);
        VhostUserRefusal? refusal;
        ulong? reply = null;
        if (message.DescriptorCount > 0 && !VhostUserWire.MayCarryDescriptors(message.Request))
        {
            refusal = new(VhostUserRefusalKind.Descriptors, $"{message.Request} may not carry file descriptors ({message.DescriptorCount} attached, closed)");
        }
        else if (VhostUserWire.PayloadSize(message.Request) is var expected && expected >= 0 && message.Payload.Length != expected)
        {
            refusal = new(VhostUserRefusalKind.PayloadSize, $"{message.Request} needs a {expected}-byte payload, got {message.Payload.Length}");
        }
        else
        {
            try
            {
                refusal = Execute(message, out reply);
            }
            catch (Exception e) when (e is LinuxException or ArgumentException)
            {
                refusal = new(VhostUserRefusalKind.Host, $"{message.Request}: {e.Message}");
            }
        }

        if (refusal is { } refused)
        {
            LogRefused(_name, refused.Kind, refused.Detail);
            VhostUserMetrics.RefusedRequests.Add(1, new KeyValuePair<string, object?>("kind", refused.Kind.ToString()));
        }
        // GET_* requests always get their reply (a refused one too, so the frontend never waits
        // for nothing); others are acknowledged whenever asked, even without REPLY_ACK negotiated:
        // a reconnected QEMU keeps it from the previous backend instance (reference 4.10, step 4).
        ulong? answer = reply ?? (message.NeedsReply || VhostUserWire.HasReply(message.Request) ? (refusal is null ? 0UL : 1UL) : null);
        if (answer is { } value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            _channel.Send(message.Request, VhostUserWire.Version | VhostUserWire.ReplyFlag, bytes);
        }
    }

    // Returns null on success or why the request was refused; sets reply for requests that answer.
    private VhostUserRefusal? Execute(VhostUserMessage message, out ulong? reply)
    {
        reply = null;
        var payload = message.Payload;
        switch (message.Request)
        {
            case VhostUserRequest.GET_FEATURES:
                reply = VirtioScmiDevice.OfferedFeatures | VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES;
                return null;
            case VhostUserRequest.SET_FEATURES:
            {
                var features = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                var unknown = features & ~(VirtioScmiDevice.OfferedFeatures | VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES);
                _device.SetFeatures(features);
                if ((features & VirtioFeatures.VHOST_USER_F_PROTOCOL_FEATURES) == 0)
                {
                    // Without PROTOCOL_FEATURES rings are enabled at once (reference 4.10, ring state machine).
                    for (var i = 0; i < _rings.Length; i++)
                        _device.EnableQueue(i, true);
                }

                return unknown == 0 ? null : new VhostUserRefusal(VhostUserRefusalKind.UnofferedFeatures, $"SET_FEATURES acked bits 0x{unknown:X} that were not offered (ignored)");
            }

            case VhostUserRequest.SET_OWNER:
            case VhostUserRequest.RESET_OWNER:
                return null;
            case VhostUserRequest.GET_PROTOCOL_FEATURES:
                reply = VhostUserProtocolFeatures.ScmiBackend;
                return null;
            case VhostUserRequest.SET_PROTOCOL_FEATURES:
            {
                var unknown = BinaryPrimitives.ReadUInt64LittleEndian(payload) & ~VhostUserProtocolFeatures.ScmiBackend;
                return unknown == 0 ? null : new VhostUserRefusal(VhostUserRefusalKind.UnofferedFeatures, $"SET_PROTOCOL_FEATURES acked bits 0x{unknown:X} that were not offered (ignored)");
            }
            case VhostUserRequest.GET_QUEUE_NUM:
                reply = 2;
                return null;
            case VhostUserRequest.SET_MEM_TABLE:
                return SetMemTable(message);
            case VhostUserRequest.SET_VRING_NUM:
                return WithRing(payload, out var numRing, out var num) ?? BadValue(_device.SetQueueSize(numRing, (int)Math.Min(num, int.MaxValue)));
            case VhostUserRequest.SET_VRING_BASE:
                return WithRing(payload, out var baseRing, out var next) ?? BadValue(_device.SetQueueBase(baseRing, next));
            case VhostUserRequest.SET_VRING_ADDR:
                return SetAddresses(payload);
            case VhostUserRequest.GET_VRING_BASE:
            {
                var error = WithRing(payload, out var index, out _);
                if (error is not null)
                    return error;

                // A ring the device never ran answers with the base the frontend set.
                reply = new VringState((uint)index, _device.StopQueue(index)).AsUInt64;
                return null;
            }

            case VhostUserRequest.SET_VRING_ENABLE:
            {
                var error = WithRing(payload, out var index, out var enable);
                if (error is not null)
                    return error;
                if (enable > 1)
                    return new VhostUserRefusal(VhostUserRefusalKind.BadValue, $"SET_VRING_ENABLE with {enable}; only 0 and 1 mean anything");
                _device.EnableQueue(index, enable == 1);
                return null;
            }

            case VhostUserRequest.SET_VRING_KICK:
            case VhostUserRequest.SET_VRING_CALL:
            case VhostUserRequest.SET_VRING_ERR:
                return SetRingFd(message);
            case VhostUserRequest.RESET_DEVICE:
                _device.Reset();
                return null;
            case VhostUserRequest.SET_STATUS:
            {
                var status = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                if (status > 0xFF)
                    return new VhostUserRefusal(VhostUserRefusalKind.BadValue, $"SET_STATUS 0x{status:X} is not a status byte");
                _status = (byte)status;
                if (_status == 0)
                    _device.Reset();
                return null;
            }

            case VhostUserRequest.GET_STATUS:
                reply = _status;
                return null;
            default:
                return new VhostUserRefusal(VhostUserRefusalKind.Unsupported, $"{message.Request} ({(uint)message.Request}) is not supported by the SCMI backend");
        }
    }

    // Every vring-state request's payload size was checked before Execute.
    private VhostUserRefusal? WithRing(byte[] payload, out int index, out uint value)
    {
        VringState.TryRead(payload, out var state);
        value = state.Num;
        index = (int)Math.Min(state.Index, int.MaxValue);
        return state.Index >= (uint)_rings.Length ? NoSuchRing(state.Index) : null;
    }

    private static VhostUserRefusal NoSuchRing(uint index) =>
        new(VhostUserRefusalKind.NoSuchRing, $"ring {index} does not exist (virtio-scmi has 2)");

    private static VhostUserRefusal? BadValue(string? error) => error is null ? null : new VhostUserRefusal(VhostUserRefusalKind.BadValue, error);

    private VhostUserRefusal? SetAddresses(byte[] payload)
    {
        VringAddress.TryRead(payload, out var address);
        if (address.Index >= (uint)_rings.Length)
            return NoSuchRing(address.Index);
        if (!address.IsValid)
            return new VhostUserRefusal(VhostUserRefusalKind.ReservedBits, $"SET_VRING_ADDR flags 0x{address.Flags:X} has unknown bits");
        _rings[address.Index].Untranslated = address;
        // Before any memory table the addresses wait for one (SET_MEM_TABLE translates them).
        return _memory.Regions.Count == 0 ? null : Translate((int)address.Index);
    }

    /// <summary>
    /// The frontend's virtual ring addresses to guest-physical ones, through the current memory
    /// table, handed to the device: below this layer only guest-physical addresses exist. An
    /// address in no region marks the device broken, as a ring outside guest memory always has.
    /// </summary>
    private VhostUserRefusal? Translate(int index)
    {
        if (_rings[index].Untranslated is not { } address)
            return null;
        _rings[index].Untranslated = null;
        if (!_memory.TryUserToGuest(address.Descriptors, 1, out var descriptors))
            return Untranslatable(index, "descriptor table", address.Descriptors);
        if (!_memory.TryUserToGuest(address.Avail, 1, out var avail))
            return Untranslatable(index, "available ring", address.Avail);
        if (!_memory.TryUserToGuest(address.Used, 1, out var used))
            return Untranslatable(index, "used ring", address.Used);
        return BadValue(_device.SetQueueAddresses(index, descriptors, avail, used));
    }

    private VhostUserRefusal Untranslatable(int index, string what, ulong userAddress)
    {
        var reason = $"ring {index}: the {what} at frontend address 0x{userAddress:X} is in no memory region";
        _device.Fail(reason);
        return new VhostUserRefusal(VhostUserRefusalKind.BadValue, reason);
    }

    private VhostUserRefusal? SetMemTable(VhostUserMessage message)
    {
        var payload = message.Payload;
        if (payload.Length < MemoryRegion.TableHeaderSize)
            return new VhostUserRefusal(VhostUserRefusalKind.PayloadSize, $"SET_MEM_TABLE needs at least {MemoryRegion.TableHeaderSize} bytes, got {payload.Length}");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count == 0 || count > VhostUserWire.MaxRegions)
            return new VhostUserRefusal(VhostUserRefusalKind.BadValue, $"SET_MEM_TABLE with {count} regions (1 to {VhostUserWire.MaxRegions})");
        var size = MemoryRegion.TableHeaderSize + (MemoryRegion.Size * count);
        if (payload.Length != size)
            return new VhostUserRefusal(VhostUserRefusalKind.PayloadSize, $"SET_MEM_TABLE with {count} regions needs {size} bytes, got {payload.Length}");
        if (message.DescriptorCount != count)
            return new VhostUserRefusal(VhostUserRefusalKind.Descriptors, $"SET_MEM_TABLE describes {count} regions but carries {message.DescriptorCount} descriptors");

        // A region whose file can shrink can be truncated under our mapping by the frontend, and the
        // next access is a SIGBUS that ends the daemon with every VM in it: refused unless the model
        // allows it for this agent (file-backed or hugetlbfs guest RAM), then served with a warning.
        var agent = (uint)(_agentId - 1) < (uint)_platform.Model.Agents.Count ? _platform.Model.Agents[_agentId - 1] : null;
        for (var i = 0; i < count; i++)
        {
            if (message.PeekDescriptor(i) is { CannotShrink: false })
            {
                if (agent is not { AllowUnsealedMemory: true })
                {
                    return new VhostUserRefusal(VhostUserRefusalKind.Host,
                        $"SET_MEM_TABLE region {i}: its file can shrink (no F_SEAL_SHRINK), and a frontend that truncates it would crash the daemon with every VM; " +
                        $"back guest RAM with QEMU's memory-backend-memfd (sealed by default), or set allow_unsealed_memory = true for agent {agent?.Name ?? _agentId.ToString(System.Globalization.CultureInfo.InvariantCulture)} (docs/security.md)");
                }

                LogUnsealed(_name, i, agent.Name);
            }
        }

        var regions = new List<GuestMemoryRegion>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                MemoryRegion.TryRead(payload, i, out var entry);
                // The mapping outlives the descriptor: it is closed once mapped.
                using var fd = message.TakeDescriptor(i);
                regions.Add(new GuestMemoryRegion(new GuestAddress(entry.GuestPhysical), entry.MemorySize, entry.UserAddress, fd, entry.MmapOffset));
            }

            var memory = new GuestMemory(regions);
            var old = _memory;
            _memory = memory;
            // Rings already running move to the new table (memory hotplug) and go on; the device
            // holds its lock while it switches, so no walk uses the old mappings afterwards.
            _device.SetMemory(memory);
            old.Dispose();
            // Ring addresses that came before any table can be translated now.
            for (var i = 0; i < _rings.Length; i++)
            {
                if (Translate(i) is { } refused)
                    LogRefused(_name, refused.Kind, refused.Detail);
            }

            var bytes = 0UL;
            foreach (var region in regions)
                bytes += region.Size;
            LogMemory(_name, (int)count, bytes);
            return null;
        }
        catch (Exception e) when (e is LinuxException or ArgumentException)
        {
            foreach (var region in regions)
                region.Dispose();
            return new VhostUserRefusal(VhostUserRefusalKind.Host, $"SET_MEM_TABLE: {e.Message}");
        }
    }

    private VhostUserRefusal? SetRingFd(VhostUserMessage message)
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(message.Payload);
        var index = (int)(value & VhostUserWire.VringIndexMask);
        var noFd = (value & VhostUserWire.VringNoFdMask) != 0;
        if ((value & ~(VhostUserWire.VringIndexMask | VhostUserWire.VringNoFdMask)) != 0)
            return new VhostUserRefusal(VhostUserRefusalKind.ReservedBits, $"{message.Request} value 0x{value:X} has reserved bits set");
        if (index >= _rings.Length)
            return NoSuchRing((uint)index);
        if (noFd ? message.DescriptorCount != 0 : message.DescriptorCount != 1)
            return new VhostUserRefusal(VhostUserRefusalKind.Descriptors, $"{message.Request} {(noFd ? "says no fd but carries" : "needs exactly one fd, carries")} {message.DescriptorCount}");

        var fd = noFd ? null : EventFd.FromPeer(message.TakeSingle());

        var ring = _rings[index];
        EventFd? old;
        lock (_fdLock)
        {
            switch (message.Request)
            {
                case VhostUserRequest.SET_VRING_KICK:
                    old = ring.Kick;
                    if (old is not null)
                        _dataPlane.Unwatch(old.Descriptor);
                    ring.Kick = fd;
                    if (fd is not null)
                        _dataPlane.Watch(fd.Descriptor, index, edgeTriggered: true);
                    break;
                case VhostUserRequest.SET_VRING_CALL:
                    old = ring.Call;
                    ring.Call = fd;
                    break;
                default:
                    old = ring.Err;
                    ring.Err = fd;
                    break;
            }
        }

        old?.Dispose();
        if (message.Request == VhostUserRequest.SET_VRING_KICK)
        {
            // The ring starts when its kick fd arrives (rust-vmm and libvhost-user practice) and
            // looks at avail.idx once instead of waiting for the next kick.
            _device.StartQueue(index);
        }

        return null;
    }

    private void OnKick(int queue)
    {
        if (queue == EventsCookie)
        {
            _eventsWaiting.Consume();
            _device.Kick(VirtioScmiDevice.EventQueue);
            return;
        }

        // The kick fd is watched edge-triggered: it is never read (each kick still wakes us), which
        // saves a read(2) per wake-up; the device looks at avail.idx, not at the count of kicks.
        _device.Kick(queue);
    }

    // Any thread, possibly under the platform's lock: one eventfd write, never blocks. After
    // Dispose a late producer finds the fd closed; its message is moot with the connection gone.
    private void WakeForEvents()
    {
        try
        {
            _eventsWaiting.Signal();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // The data plane's last resort: whatever threw, this VM's device stops (err eventfd signalled
    // through Broken) and the frontend learns why from the log; the next reset clears it.
    private void OnKickFault(Exception e)
    {
        LogKickFault(e, _name);
        _device.Fail($"internal error on the kick path: {e.GetType().Name}: {e.Message}");
    }

    // The data plane, or a producer delivering a notification inline (any thread, possibly under
    // the platform's lock): one eventfd write. After Dispose the fd is closed and the call is moot.
    private void NotifyDriver(int queue)
    {
        try
        {
            lock (_fdLock)
                _rings[queue].Call?.Signal();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void OnBroken(string reason)
    {
        lock (_fdLock)
        {
            foreach (var ring in _rings)
                ring.Err?.Signal();
        }
    }

    public void Dispose()
    {
        _dataPlane.Dispose();
        _device.Dispose();
        foreach (var ring in _rings)
        {
            ring.Kick?.Dispose();
            ring.Call?.Dispose();
            ring.Err?.Dispose();
        }

        _memory.Dispose();
        _eventsWaiting.Dispose();
        _channel.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "{Connection}: {Request} ({Size} bytes, {Fds} fds)")]
    private partial void LogRequest(string connection, VhostUserRequest request, int size, int fds);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "{Connection}: refused ({Kind}): {Reason}")]
    private partial void LogRefused(string connection, VhostUserRefusalKind kind, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "{Connection}: guest memory: {Regions} regions, {Bytes} bytes")]
    private partial void LogMemory(string connection, int regions, ulong bytes);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "{Connection}: guest memory region {Region} can shrink (no F_SEAL_SHRINK); served because agent {Agent} has allow_unsealed_memory: a frontend that truncates it would crash the daemon")]
    private partial void LogUnsealed(string connection, int region, string agent);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "{Connection}: a kick failed inside vscmi (a bug); this VM's device is marked broken, other VMs go on")]
    private partial void LogKickFault(Exception exception, string connection);
}
