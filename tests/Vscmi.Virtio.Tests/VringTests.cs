using System.Buffers.Binary;
using Vscmi.Linux;
using Vscmi.Protocol;

namespace Vscmi.Virtio.Tests;

/// <summary>
/// The device owns each ring's state (size, guest-physical addresses, base, enabled, started):
/// a ring runs once all of it is there, whatever order it came in; cached host pointers belong
/// to one memory table; platform-to-agent messages go from the session's outbox into the eventq
/// on the thread the owner chooses.
/// </summary>
public sealed class VringTests
{
    private static int Status(byte[] response) => BinaryPrimitives.ReadInt32LittleEndian(response.AsSpan(4));

    public static TheoryData<string> Orders() => ["size addresses enable start", "start enable addresses size", "enable start size addresses"];

    [Theory]
    [MemberData(nameof(Orders))]
    public void A_ring_runs_once_size_addresses_enable_and_start_are_all_there(string order)
    {
        using var guest = new TestGuest();
        var device = guest.Device;
        var steps = order.Split(' ');
        for (var i = 0; i < steps.Length; i++)
        {
            Assert.False(device.IsRunning(0), $"running before '{steps[i]}'");
            switch (steps[i])
            {
                case "size":
                    Assert.Null(device.SetQueueSize(0, TestGuest.QueueSize));
                    break;
                case "addresses":
                    Assert.Null(device.SetQueueAddresses(0, guest.Commands.Descriptors, guest.Commands.Avail, guest.Commands.Used));
                    break;
                case "enable":
                    device.EnableQueue(0, true);
                    break;
                default:
                    device.StartQueue(0);
                    break;
            }
        }

        Assert.True(device.IsRunning(0));
        var ring = device.Ring(0);
        Assert.Equal(TestGuest.QueueSize, ring.Size);
        Assert.Equal(guest.Commands.Descriptors, ring.Descriptors);
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0), 0);
        device.Kick(0);
        Assert.Equal(0, Status(guest.TakeResponse().Response));
    }

    [Fact]
    public void A_ring_waiting_for_memory_starts_when_the_table_arrives()
    {
        using var guest = new TestGuest();
        var device = new VirtioScmiDevice(guest.Platform, 2, "late-memory", _ => { });
        device.SetFeatures(VirtioFeatures.ScmiDevice);
        Assert.Null(device.SetQueueSize(0, TestGuest.QueueSize));
        Assert.Null(device.SetQueueAddresses(0, guest.Commands.Descriptors, guest.Commands.Avail, guest.Commands.Used));
        device.EnableQueue(0, true);
        device.StartQueue(0);
        Assert.False(device.IsRunning(0));

        device.SetMemory(guest.Memory);

        Assert.True(device.IsRunning(0));
        device.Dispose();
    }

    [Fact]
    public void Stopping_returns_where_processing_stopped_and_a_restart_goes_on_from_there()
    {
        using var guest = new TestGuest();
        guest.Start();
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0), 0);
        guest.Device.Kick(0);
        guest.TakeResponse();

        Assert.Equal(1, guest.Device.StopQueue(0));
        Assert.False(guest.Device.IsRunning(0));
        Assert.Equal(1, guest.Device.Ring(0).Base);
        Assert.False(guest.Device.Ring(0).Started);

        guest.Device.StartQueue(0);
        Assert.True(guest.Device.IsRunning(0));
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0), 1);
        guest.Device.Kick(0);
        Assert.Equal(0, Status(guest.TakeResponse().Response));
    }

    [Fact]
    public void Bad_sizes_bases_and_queue_numbers_are_refused_with_the_value()
    {
        using var guest = new TestGuest();
        Assert.Contains("100", guest.Device.SetQueueSize(0, 100), StringComparison.Ordinal);
        Assert.Contains("70000", guest.Device.SetQueueBase(1, 70000), StringComparison.Ordinal);
        Assert.Contains("queue 2", guest.Device.SetQueueSize(2, 64), StringComparison.Ordinal);
        Assert.Contains("queue 5", guest.Device.SetQueueAddresses(5, default, default, default), StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_popped_before_a_new_memory_table_reads_and_writes_nothing()
    {
        using var guest = new TestGuest();
        using var fd = MemFd.Create("second-table", (long)TestGuest.SizeA);
        var queue = new DeviceQueue();
        Assert.Null(queue.Configure(guest.Memory, TestGuest.QueueSize, guest.Commands.Descriptors, guest.Commands.Avail, guest.Commands.Used, 0, 0));
        guest.Post(guest.Command(ScmiProtocolId.BASE, 0x0), 0);
        Assert.True(queue.TryPop(out var chain, out _));
        Assert.True(chain.IsCurrent);
        Assert.Equal(4, chain.CopyReadable(new byte[16]));

        // Memory hotplug: same guest-physical layout, a new mapping.
        using var moved = new GuestMemory([new GuestMemoryRegion(new GuestAddress(TestGuest.RegionA), TestGuest.SizeA, TestGuest.RegionA, fd, 0)]);
        Assert.Null(queue.Retranslate(moved));

        Assert.False(chain.IsCurrent);
        Assert.Equal(0, chain.CopyReadable(new byte[16]));
        Assert.False(chain.TryWrite(new byte[4]));
        Assert.Equal(moved.Generation, queue.MemoryGeneration);
        Assert.NotEqual(guest.Memory.Generation, moved.Generation);
    }

    [Fact]
    public void Frontend_addresses_translate_to_guest_physical_only_inside_a_region()
    {
        using var guest = new TestGuest();
        Assert.True(guest.Memory.TryUserToGuest(TestGuest.RegionB + TestGuest.UserOffset + 0x10, 16, out var inside));
        Assert.Equal(new GuestAddress(TestGuest.RegionB + 0x10), inside);
        Assert.False(guest.Memory.TryUserToGuest(TestGuest.RegionB + 0x10, 16, out _));                                        // a guest-physical address is not a frontend one
        Assert.False(guest.Memory.TryUserToGuest(TestGuest.RegionB + TestGuest.UserOffset + TestGuest.SizeB - 8, 16, out _)); // runs past the region
        Assert.False(guest.Memory.TryUserToGuest(ulong.MaxValue - 4, 16, out _));
    }

    [Fact]
    public void Events_wait_in_the_outbox_until_the_owner_flushes_them_on_its_thread()
    {
        using var guest = new TestGuest();
        var wakes = 0;
        guest.Device.EventsWaiting = () => Interlocked.Increment(ref wakes);
        guest.Start();
        guest.PostEventBuffers(4);
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x8, [1, 0, 0, 0]), 0); // BASE_NOTIFY_ERRORS on
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0, [1, 2, 3, 4]), 1); // malformed: BASE_ERROR_EVENT
        guest.Device.Kick(0);
        guest.TakeResponse();
        guest.TakeResponse();

        // Woken, not flushed: the message waits in the session's outbox, nowhere else.
        Assert.Equal(1, wakes);
        Assert.Equal(1, guest.Device.PendingEvents);
        Assert.Empty(guest.TakeEvents());

        guest.Device.Kick(VirtioScmiDevice.EventQueue);
        Assert.Single(guest.TakeEvents());
        Assert.Equal(0, guest.Device.PendingEvents);
    }
}
