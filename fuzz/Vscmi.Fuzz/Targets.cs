using System.Buffers.Binary;
using Vscmi.Linux;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;
using Vscmi.Virtio;

namespace Vscmi.Fuzz;

/// <summary>
/// One fuzz target per decoder (STYLE 20). Each takes arbitrary bytes and may fail only in the
/// documented way; anything else escapes and is a finding. Targets keep their expensive state
/// (a platform, guest memory) across inputs, as AFL's persistent mode wants.
/// </summary>
internal static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["scmi-message"] = ScmiMessage,
        ["platform"] = Platform,
        ["virtqueue"] = Virtqueue,
        ["model"] = Model,
        ["vhost-user"] = VhostUser,
        ["device-ops"] = DeviceOps,
        ["differential"] = Differential,
        ["state-file"] = StateFileTarget,
        ["state-body"] = StateBodyTarget,
        ["scenario"] = ScenarioTarget,
        ["trace-file"] = TraceFile,
        ["control"] = Control,
    };

    // The default model with no command rate: the fuzzer's inputs come far faster than a guest's, and
    // a limit would answer most of them BUSY before they reach a handler.
    private static DeviceModel Unlimited => ModelLoader.WithoutCommandLimits(ModelLoader.LoadDefault());

    /// <summary>The generic decoder: every message kind; only the protocol exception may escape.</summary>
    private static void ScmiMessage(byte[] input)
    {
        foreach (var kind in new ScmiMessageKind?[] { null, ScmiMessageKind.Command, ScmiMessageKind.Response, ScmiMessageKind.DelayedResponse, ScmiMessageKind.Notification })
        {
            try
            {
                var message = ScmiMessageCodec.Decode(input, kind);
                _ = ScmiFormatter.Format(message);
            }
            catch (ScmiProtocolException)
            {
            }
        }
    }

    private static readonly Lazy<(ScmiPlatform Platform, AgentSession[] Sessions)> PlatformState = new(() =>
    {
        var platform = new ScmiPlatform(Unlimited);
        return (platform, [platform.OpenSession(1), platform.OpenSession(2, 128, hasP2A: false), platform.OpenSession(3, 64)]);
    });

    /// <summary>The platform's dispatcher: any bytes from any agent; nothing may throw.</summary>
    private static void Platform(byte[] input)
    {
        var (_, sessions) = PlatformState.Value;
        var session = sessions[input.Length % sessions.Length];
        var reply = new byte[session.ReplyBufferSize];
        var length = PlatformState.Value.Platform.Handle(session, input, reply);
        if (length is < 0 || length > reply.Length)
            throw new InvalidOperationException($"reply length {length} outside the {reply.Length}-byte buffer");
        while (session.Outbox.TryRead(out var message))
            session.MessageDelivered(message);
    }

    private sealed class Guest
    {
        public const ulong Base = 0x4000_0000;
        public const int Size = 64 * 1024;
        public const int QueueSize = 16;

        public Guest()
        {
            Fd = MemFd.Create("fuzz-guest", Size);
            Memory = new GuestMemory([new GuestMemoryRegion(new GuestAddress(Base), Size, Base, Fd, 0)]);
            Device = new VirtioScmiDevice(new ScmiPlatform(Unlimited), 1, "fuzz", _ => { });
        }

        public FileDescriptor Fd { get; }

        public GuestMemory Memory { get; }

        public VirtioScmiDevice Device { get; }
    }

    private static readonly Lazy<Guest> GuestState = new(() => new Guest());

    /// <summary>
    /// The split-ring walker and the device. The input is the guest's side of the ring, so the
    /// fuzzer controls every index, address, flag and length the device reads:
    /// <code>
    ///   [0] feature bits (INDIRECT, EVENT_IDX)   [1..3) last_avail   [3..5) avail.idx
    ///   [5..37) avail ring (16 heads)            [37..293) 16 descriptors   [293..) buffer bytes at +0x3000
    /// </code>
    /// A descriptor address with bit 63 clear is taken modulo guest memory (so chains reach real
    /// buffers); with bit 63 set it is used as is (so addresses outside memory stay reachable).
    /// Nothing may throw; the device may only mark itself broken.
    /// </summary>
    private static void Virtqueue(byte[] input)
    {
        var guest = GuestState.Value;
        guest.Device.Reset();
        Span<byte> header = stackalloc byte[293];
        input.AsSpan(0, Math.Min(input.Length, header.Length)).CopyTo(header);
        var memory = new byte[Guest.Size];
        BinaryPrimitives.WriteUInt16LittleEndian(memory.AsSpan(0x1002), BinaryPrimitives.ReadUInt16LittleEndian(header[3..]));
        header.Slice(5, 32).CopyTo(memory.AsSpan(0x1004));
        for (var i = 0; i < Guest.QueueSize; i++)
        {
            var descriptor = header.Slice(37 + (16 * i), 16);
            var address = BinaryPrimitives.ReadUInt64LittleEndian(descriptor);
            if ((address >> 63) == 0)
                address = Guest.Base + (address % Guest.Size);
            BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan(16 * i), address);
            descriptor[8..].CopyTo(memory.AsSpan((16 * i) + 8));
        }

        if (input.Length > header.Length)
            input.AsSpan(header.Length, Math.Min(input.Length - header.Length, Guest.Size - 0x3000)).CopyTo(memory.AsSpan(0x3000));
        guest.Memory.TryWrite(new GuestAddress(Guest.Base), memory);

        var features = ((ulong)header[0] << 28) & (VirtioFeatures.VIRTIO_RING_F_INDIRECT_DESC | VirtioFeatures.VIRTIO_RING_F_EVENT_IDX);
        guest.Device.SetFeatures(VirtioFeatures.VIRTIO_F_VERSION_1 | VirtioFeatures.VIRTIO_SCMI_F_P2A_CHANNELS | features);
        guest.Device.SetMemory(guest.Memory);
        var lastAvail = BinaryPrimitives.ReadUInt16LittleEndian(header[1..]);
        if (guest.Device.ConfigureQueue(0, Guest.QueueSize, new(Guest.Base), new(Guest.Base + 0x1000), new(Guest.Base + 0x2000), lastAvail) is null)
        {
            guest.Device.StartQueue(0);
            guest.Device.Kick(0);
        }
    }

    /// <summary>Guest memory in two layouts (the whole 64 KiB, or its first 16 KiB) for <see cref="DeviceOps"/>.</summary>
    private sealed class OpsGuest
    {
        public OpsGuest()
        {
            Fd = MemFd.Create("fuzz-ops", Guest.Size);
            Large = new GuestMemory([new GuestMemoryRegion(new GuestAddress(Guest.Base), Guest.Size, Guest.Base, Fd, 0)]);
            Small = new GuestMemory([new GuestMemoryRegion(new GuestAddress(Guest.Base), Guest.Size / 4, Guest.Base, Fd, 0)]);
            Platform = new ScmiPlatform(Unlimited);
            Device = new VirtioScmiDevice(Platform, 1, "fuzz-ops", _ => { });
            Other = Platform.OpenSession(2);
        }

        public FileDescriptor Fd { get; }

        public GuestMemory Large { get; }

        public GuestMemory Small { get; }

        public ScmiPlatform Platform { get; }

        public VirtioScmiDevice Device { get; }

        /// <summary>Another agent, whose commands make the platform notify the device's agent.</summary>
        public AgentSession Other { get; }
    }

    private static readonly Lazy<OpsGuest> OpsState = new(() => new OpsGuest());

    /// <summary>
    /// Sequences of what a frontend and a driver do to a device, interleaved (rust-vmm's
    /// virtio-queue fuzzes operation sequences the same way): configure, start, kick, a new memory
    /// table, stop, reset, features, guest writes, avail.idx moves, and another agent's commands
    /// (which notify through the eventq). Each operation is one byte (its low 4 bits) followed by
    /// its operands; a missing operand reads as 0. Nothing may throw, and the device must still
    /// reset and configure a sane ring afterwards.
    /// <code>
    ///   0 configure q, log2 size, layout, last_avail(2)   1 start q    2 kick q    3 memory (odd: 16 KiB)
    ///   4 stop q    5 reset    6 features(1)    7 write offset(2) length(1) bytes    8 avail.idx q value(2)
    ///   9 another agent's command: CLOCK_RATE_SET of a clock it names, at a rate it names
    /// </code>
    /// </summary>
    private static void DeviceOps(byte[] input)
    {
        var guest = OpsState.Value;
        var device = guest.Device;
        device.Reset();
        device.SetMemory(guest.Large);
        guest.Large.TryWrite(new GuestAddress(Guest.Base), new byte[Guest.Size]);
        var position = 0;
        byte Next() => position < input.Length ? input[position++] : (byte)0;
        ushort Next16() => (ushort)(Next() | (Next() << 8));
        var reply = new byte[guest.Other.ReplyBufferSize];
        var command = new byte[20];
        while (position < input.Length)
        {
            var op = Next();
            var queue = (op >> 4) % 3; // 2 is no queue: every entry point must refuse it
            switch (op & 0xF)
            {
                case 0:
                {
                    var size = 1 << (Next() % 6);
                    // Layout 0: the rings where a driver puts them; others: wherever the operand says, in or out of memory.
                    var layout = Next();
                    var area = Guest.Base + (ulong)(queue * 0x4000);
                    var (descriptors, avail, used) = layout == 0
                        ? (area, area + 0x1000, area + 0x2000)
                        : (Guest.Base + (ulong)(layout * 0x180), Guest.Base + (ulong)(layout * 0x1C2), Guest.Base + (ulong)(layout * 0x2F4));
                    device.ConfigureQueue(queue, size, new(descriptors), new(avail), new(used), Next16());
                    break;
                }

                case 1:
                    device.StartQueue(queue);
                    break;
                case 2:
                    device.Kick(queue);
                    break;
                case 3:
                    device.SetMemory((Next() & 1) == 0 ? guest.Large : guest.Small);
                    break;
                case 4:
                    device.StopQueue(queue);
                    break;
                case 5:
                    device.Reset();
                    break;
                case 6:
                    device.SetFeatures(VirtioFeatures.VIRTIO_F_VERSION_1 | ((ulong)Next() << 28) | ((Next() & 1) == 0 ? 0 : VirtioFeatures.VIRTIO_SCMI_F_P2A_CHANNELS));
                    break;
                case 7:
                {
                    var offset = Next16() % Guest.Size;
                    var length = Math.Min(Next(), Math.Min(input.Length - position, Guest.Size - offset));
                    guest.Large.TryWrite(new GuestAddress(Guest.Base + (ulong)offset), input.AsSpan(position, length));
                    position += length;
                    break;
                }

                case 8:
                {
                    Span<byte> index = stackalloc byte[2];
                    BinaryPrimitives.WriteUInt16LittleEndian(index, Next16());
                    guest.Large.TryWrite(new GuestAddress(Guest.Base + (ulong)(queue * 0x4000) + 0x1002), index);
                    break;
                }

                case 9:
                {
                    // CLOCK_RATE_SET (protocol 0x14, message 0x5) from agent 2: a rate change agent 1 may have subscribed to.
                    BinaryPrimitives.WriteUInt32LittleEndian(command, (0x14u << 10) | 0x5);
                    BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(4), (uint)(Next() & 1));
                    BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(8), (uint)(Next() % 10));
                    BinaryPrimitives.WriteUInt64LittleEndian(command.AsSpan(12), (ulong)Next16() * 1_000_000);
                    guest.Platform.Handle(guest.Other, command, reply);
                    while (guest.Other.Outbox.TryRead(out var message))
                        guest.Other.MessageDelivered(message);
                    break;
                }
            }
        }

        // Whatever happened, a reset gives a device that takes a sane ring again.
        device.Reset();
        device.SetMemory(guest.Large);
        if (device.ConfigureQueue(0, 16, new(Guest.Base), new(Guest.Base + 0x1000), new(Guest.Base + 0x2000), 0) is { } error)
            throw new InvalidOperationException($"after the sequence a reset device refuses a sane ring: {error}");
        if (device.BrokenReason is { } broken)
            throw new InvalidOperationException($"a reset device is still broken: {broken}");
    }

    private sealed class Backend
    {
        public Backend()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vscmi-fuzz-{Environment.ProcessId}.sock");
            File.Delete(Path);
            Listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            Listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path));
            Listener.Listen(1);
            Platform = new ScmiPlatform(Unlimited);
        }

        public string Path { get; }

        public System.Net.Sockets.Socket Listener { get; }

        public ScmiPlatform Platform { get; }
    }

    private static readonly Lazy<Backend> BackendState = new(() => new Backend());

    /// <summary>
    /// The vhost-user control plane: the input is the byte stream a frontend sends (headers,
    /// payloads; no descriptors). The backend reads it to the end; only a framing error
    /// (<see cref="VhostUser.VhostUserProtocolException"/>) may escape.
    /// </summary>
    private static void VhostUser(byte[] input)
    {
        var backend = BackendState.Value;
        using var frontend = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        frontend.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(backend.Path));
        using var accepted = backend.Listener.Accept();
        frontend.Send(input);
        frontend.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var connection = new VhostUser.BackendConnection(new VhostUser.VhostUserChannel(accepted), backend.Platform, 2, "fuzz", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        try
        {
            connection.RunAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (VhostUser.VhostUserProtocolException)
        {
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>The TOML device-model loader: only a model error (with its location) may escape.</summary>
    private static void Model(byte[] input)
    {
        try
        {
            ModelLoader.Load(System.Text.Encoding.UTF8.GetString(input), "fuzz.toml");
        }
        catch (ModelException)
        {
        }
    }

    /// <summary>
    /// Differential: the platform's in-place request check (<see cref="LayoutCodec.Validate"/>, what
    /// <see cref="ScmiPlatform.Handle"/> runs per message) and the generic codec
    /// (<see cref="ScmiMessageCodec.Decode"/>) must agree on every command body, accepted or refused,
    /// and on the SCMI status a refusal answers. Input: [0] protocol (index into the catalog),
    /// [1] message (index into its commands), [2] strict or lenient, the rest the payload.
    /// </summary>
    private static void Differential(byte[] input)
    {
        if (input.Length < 3)
            return;
        var protocol = ScmiCatalog.Protocols[input[0] % ScmiCatalog.Protocols.Count];
        var messages = protocol.Messages.OrderBy(m => m.Id).ToArray();
        var spec = messages[input[1] % messages.Length];
        var options = (input[2] & 1) == 0 ? DecodeOptions.Strict : DecodeOptions.Relaxed;
        var payload = input.AsSpan(3, Math.Min(input.Length - 3, 124));
        var message = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, new ScmiHeader(spec.Id, ScmiMessageType.COMMAND, (byte)protocol.Id, 1).Value);
        payload.CopyTo(message.AsSpan(4));

        ScmiStatus? inPlace = null, generic = null;
        try
        {
            LayoutCodec.Validate(spec.Request, payload, options);
        }
        catch (ScmiProtocolException e)
        {
            inPlace = e.ToStatus();
        }

        try
        {
            _ = ScmiMessageCodec.Decode(message, ScmiMessageKind.Command, options);
        }
        catch (ScmiProtocolException e)
        {
            generic = e.ToStatus();
        }

        if (inPlace != generic)
            throw new InvalidOperationException($"{protocol.ShortName} {spec.Name} ({(options.IsStrict ? "strict" : "lenient")}), {payload.Length}-byte body {Convert.ToHexString(payload)}: in place {inPlace?.ToString() ?? "accepted"}, codec {generic?.ToString() ?? "accepted"}");
    }

    private static readonly Lazy<ScmiPlatform> StatePlatform = new(() => new ScmiPlatform(ModelLoader.LoadDefault()));

    /// <summary>
    /// The state file reader (<c>vscmi serve --state</c>): any bytes are applied or refused with a
    /// reason, never thrown; a file it applied, written out again, is applied again unchanged.
    /// </summary>
    private static void StateFileTarget(byte[] input)
    {
        var platform = StatePlatform.Value;
        if (platform.RestoreState(input) is not null)
            return;
        var saved = platform.SaveState();
        if (platform.RestoreState(saved) is { } refusal)
            throw new InvalidOperationException($"a state the platform wrote is refused: {refusal}");
        if (!platform.SaveState().AsSpan().SequenceEqual(saved))
            throw new InvalidOperationException("restoring a saved state changed it");
    }

    /// <summary>
    /// The state file reader past its checksum: the input is the JSON body and the harness appends
    /// the checksum line the daemon would have written, so mutations reach the JSON reader and the
    /// range checks behind it (with the checksum in the input, 10 minutes of state-file found 6 paths).
    /// </summary>
    private static void StateBodyTarget(byte[] input)
    {
        var checksum = System.Text.Encoding.ASCII.GetBytes($"\nsha256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))}\n");
        StateFileTarget([.. input, .. checksum]);
    }

    /// <summary>The TOML scenario loader (<c>vscmi scenario run</c>): only a model error (with its location) may escape.</summary>
    private static void ScenarioTarget(byte[] input)
    {
        try
        {
            Vscmi.Platform.Scenarios.ScenarioLoader.Load(System.Text.Encoding.UTF8.GetString(input), "fuzz-scenario.toml");
        }
        catch (ModelException)
        {
        }
    }

    /// <summary>The capture reader (<c>vscmi trace decode</c>, pcapng): only a capture format error may escape; every message it returns decodes or is refused as SCMI.</summary>
    private static void TraceFile(byte[] input)
    {
        try
        {
            foreach (var captured in Vscmi.Protocol.Capture.Pcapng.Read(input))
            {
                try
                {
                    _ = ScmiFormatter.Format(ScmiMessageCodec.Decode(captured.Message));
                }
                catch (ScmiProtocolException)
                {
                }
            }
        }
        catch (Vscmi.Protocol.Capture.CaptureFormatException)
        {
        }
    }

    private static readonly Lazy<Vscmi.Cli.Control.DaemonControl> ControlState = new(() =>
        new Vscmi.Cli.Control.DaemonControl(new ScmiPlatform(Unlimited), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, []));

    // Requests that create or remove sockets and files, or read a model from a path: a fuzzer must
    // not touch the file system. Their argument checks are covered by ControlTests.
    private static readonly HashSet<string> TouchesFiles = ["vm add", "vm remove", "state save", "reload", "trace"];

    /// <summary>
    /// The control socket's protocol as <c>ControlServer</c> serves it: newline-separated JSON
    /// requests; each must get one line that is a JSON object with <c>ok</c>, never an exception.
    /// </summary>
    private static void Control(byte[] input)
    {
        var control = ControlState.Value;
        foreach (var line in System.Text.Encoding.UTF8.GetString(input).Split('\n'))
        {
            string response;
            try
            {
                using var request = System.Text.Json.JsonDocument.Parse(line);
                var root = request.RootElement;
                if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
                    continue;
                if (root.TryGetProperty("command", out var name) && name.ValueKind == System.Text.Json.JsonValueKind.String && TouchesFiles.Contains(name.GetString()!))
                    continue;
                response = control.HandleAsync(root).AsTask().GetAwaiter().GetResult();
            }
            catch (System.Text.Json.JsonException)
            {
                continue; // the server answers "not JSON" itself
            }

            using var answer = System.Text.Json.JsonDocument.Parse(response);
            if (response.Contains('\n', StringComparison.Ordinal) || !answer.RootElement.TryGetProperty("ok", out _))
                throw new InvalidOperationException($"not one JSON line with \"ok\": {response}");
        }

        control.HandleAsync(System.Text.Json.JsonDocument.Parse("{\"command\":\"inject clear\"}").RootElement).AsTask().GetAwaiter().GetResult();
    }
}
