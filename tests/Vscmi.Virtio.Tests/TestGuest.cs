using System.Buffers.Binary;
using Vscmi.Linux;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Protocol;
using Vscmi.Virtio;

namespace Vscmi.Virtio.Tests;

/// <summary>
/// A guest for device tests: two memfd regions (so buffers can straddle a hole), a driver-side
/// queue per device queue, and a virtio-scmi device wired to them in-process.
/// <code>
///   region A: GPA 0x4000_0000, 256 KiB  rings at +0, +0x4000, +0x8000 (cmdq) / +0x10000.. (eventq); buffers from +0x20000
///   region B: GPA 0x8000_0000,  64 KiB  (frontend address = GPA + UserOffset)
/// </code>
/// </summary>
internal sealed class TestGuest : IDisposable
{
    public const ulong RegionA = 0x4000_0000;
    public const ulong RegionB = 0x8000_0000;
    public const ulong SizeA = 256 * 1024;
    public const ulong SizeB = 64 * 1024;
    public const ulong UserOffset = 0x7F00_0000_0000;
    public const ulong Buffers = RegionA + 0x20000;
    public const int QueueSize = 64;

    private readonly FileDescriptor _fdA = MemFd.Create("guest-a", (long)SizeA);
    private readonly FileDescriptor _fdB = MemFd.Create("guest-b", (long)SizeB);
    private ushort _token;

    public TestGuest(ulong features = VirtioFeatures.ScmiDevice, ScmiPlatform? platform = null, int agentId = 1)
    {
        Memory = new GuestMemory([
            new GuestMemoryRegion(new GuestAddress(RegionA), SizeA, RegionA + UserOffset, _fdA, 0),
            new GuestMemoryRegion(new GuestAddress(RegionB), SizeB, RegionB + UserOffset, _fdB, 0),
        ]);
        Platform = platform ?? new ScmiPlatform(ModelLoader.LoadDefault());
        var eventIdx = (features & VirtioFeatures.VIRTIO_RING_F_EVENT_IDX) != 0;
        Commands = new DriverQueue(Memory, QueueSize, new(RegionA), new(RegionA + 0x4000), new(RegionA + 0x8000), eventIdx);
        Events = new DriverQueue(Memory, QueueSize, new(RegionA + 0x10000), new(RegionA + 0x14000), new(RegionA + 0x18000), eventIdx);
        Device = new VirtioScmiDevice(Platform, agentId, "test", queue => Interrupts[queue]++);
        Device.SetFeatures(features);
        Device.SetMemory(Memory);
    }

    public GuestMemory Memory { get; }

    public ScmiPlatform Platform { get; }

    public DriverQueue Commands { get; private set; }

    public DriverQueue Events { get; private set; }

    /// <summary>What a rebooted guest does: device reset, fresh rings, the same device object.</summary>
    public void Restart()
    {
        Device.Reset();
        Device.SetFeatures(VirtioFeatures.ScmiDevice);
        Commands = new DriverQueue(Memory, QueueSize, Commands.Descriptors, Commands.Avail, Commands.Used, Commands.EventIdx);
        Events = new DriverQueue(Memory, QueueSize, Events.Descriptors, Events.Avail, Events.Used, Events.EventIdx);
        _commandSlots.Clear();
        Start();
    }

    public VirtioScmiDevice Device { get; }

    public int[] Interrupts { get; } = new int[2];

    /// <summary>Configures and starts both queues as the frontend would.</summary>
    public void Start()
    {
        Assert.Null(Device.ConfigureQueue(0, QueueSize, Commands.Descriptors, Commands.Avail, Commands.Used, 0));
        Assert.Null(Device.ConfigureQueue(1, QueueSize, Events.Descriptors, Events.Avail, Events.Used, 0));
        Device.StartQueue(0);
        Device.StartQueue(1);
    }

    public static GuestAddress Slot(int index) => new(Buffers + (ulong)(index * 512));

    public byte[] Command(ScmiProtocolId protocol, byte message, byte[]? parameters = null)
    {
        var header = new ScmiHeader(message, ScmiMessageType.COMMAND, (byte)protocol, (ushort)(_token++ & ScmiHeader.MaxToken));
        var bytes = new byte[4 + (parameters?.Length ?? 0)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, header.Value);
        parameters?.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>Posts a command in slot <paramref name="slot"/> with a response buffer of <paramref name="responseSize"/> bytes (Linux's two-descriptor shape).</summary>
    public ushort Post(byte[] command, int slot, uint responseSize = 136, bool indirect = false)
    {
        var request = Slot(slot);
        var response = new GuestAddress(request.Value + 256);
        Assert.True(Memory.TryWrite(request, command));
        BufferSegment[] chain = [new(request, (uint)command.Length, false), new(response, responseSize, true)];
        ushort head;
        Assert.True(indirect
            ? Commands.TryAddIndirect(chain, new GuestAddress(request.Value + 448), out head)
            : Commands.TryAdd(chain, out head));
        return head;
    }

    /// <summary>Takes one used cmdq entry and returns the response bytes it reports.</summary>
    public (ushort Head, byte[] Response) TakeResponse()
    {
        Assert.True(Commands.TryTakeUsed(out var head, out var length), "no used cmdq entry");
        return (head, ReadResponse(head, length));
    }

    private readonly Dictionary<ushort, GuestAddress> _eventBuffers = [];
    private readonly Dictionary<ushort, int> _commandSlots = [];
    private int _eventCounter;

    public byte[] ReadResponse(ushort head, uint length)
    {
        // Responses land at slot + 256 of the slot that head was posted from; tests post slot == ordinal.
        var slot = _commandSlots.TryGetValue(head, out var s) ? s : head / 2;
        var bytes = new byte[length];
        Assert.True(Memory.TryRead(new GuestAddress(Slot(slot).Value + 256), bytes));
        return bytes;
    }

    public ushort PostCommand(byte[] command, int slot, uint responseSize = 136, bool indirect = false)
    {
        var head = Post(command, slot, responseSize, indirect);
        _commandSlots[head] = slot;
        return head;
    }

    /// <summary>Posts <paramref name="count"/> eventq buffers of <paramref name="size"/> bytes in region B.</summary>
    public void PostEventBuffers(int count, uint size = 136)
    {
        for (var i = 0; i < count; i++)
        {
            var address = new GuestAddress(RegionB + (ulong)(_eventCounter++ % 256 * 256));
            Assert.True(Events.TryAdd([new BufferSegment(address, size, true)], out var head));
            _eventBuffers[head] = address;
        }
    }

    /// <summary>Every event delivered so far.</summary>
    public List<byte[]> TakeEvents()
    {
        var events = new List<byte[]>();
        while (Events.TryTakeUsed(out var head, out var length))
        {
            var bytes = new byte[length];
            Assert.True(Memory.TryRead(_eventBuffers[head], bytes));
            _eventBuffers.Remove(head);
            events.Add(bytes);
        }

        return events;
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
        _fdA.Dispose();
        _fdB.Dispose();
    }
}
