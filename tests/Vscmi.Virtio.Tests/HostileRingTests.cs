using System.Buffers.Binary;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Protocol;
using Vscmi.Virtio;

namespace Vscmi.Virtio.Tests;

/// <summary>
/// A driver that breaks the split-ring rules gets its device marked broken; the device never
/// reads or writes outside guest memory, never loops, and a reset makes it serve again. Another
/// device on the same platform is not affected.
/// </summary>
public sealed class HostileRingTests
{
    private static readonly GuestAddress Outside = new(0x1000); // below every region

    public static TheoryData<string, string> Cases() => new()
    {
        { "address outside memory", nameof(VirtqueueError.BadAddress) },
        { "buffer straddling the end of a region", nameof(VirtqueueError.BadAddress) },
        { "descriptor loop", nameof(VirtqueueError.ChainTooLong) },
        { "chain longer than the queue", nameof(VirtqueueError.ChainTooLong) },
        { "next past the table", nameof(VirtqueueError.NextOutOfRange) },
        { "head past the table", nameof(VirtqueueError.HeadOutOfRange) },
        { "read/write flags swapped", nameof(VirtqueueError.ReadableAfterWritable) },
        { "available index jumping ahead", nameof(VirtqueueError.AvailIndexAhead) },
        { "indirect table outside memory", nameof(VirtqueueError.BadAddress) },
        { "indirect with next", nameof(VirtqueueError.IndirectWithNext) },
        { "nested indirect", nameof(VirtqueueError.NestedIndirect) },
        { "indirect table of odd length", nameof(VirtqueueError.BadIndirectLength) },
        { "indirect loop", nameof(VirtqueueError.ChainTooLong) },
        { "readable eventq buffer", "eventq buffer is device-readable" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_rule_breaking_driver_gets_its_device_marked_broken_and_others_go_on(string scenario, string reason)
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        using var hostile = new TestGuest(platform: platform);
        using var bystander = new TestGuest(platform: platform, agentId: 2);
        hostile.Start();
        bystander.Start();
        string? brokenWith = null;
        hostile.Device.Broken = r => brokenWith = r;

        Misbehave(hostile, scenario);

        Assert.NotNull(hostile.Device.BrokenReason);
        Assert.Contains(reason, hostile.Device.BrokenReason, StringComparison.Ordinal);
        Assert.Equal(hostile.Device.BrokenReason, brokenWith);

        // A broken device ignores kicks.
        var answered = hostile.Device.CommandsAnswered;
        hostile.Device.Kick(0);
        Assert.Equal(answered, hostile.Device.CommandsAnswered);

        // The other VM is served as before.
        bystander.PostCommand(bystander.Command(ScmiProtocolId.BASE, 0x0), 0, 12);
        bystander.Device.Kick(0);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bystander.TakeResponse().Response.AsSpan(4)));
    }

    [Fact]
    public void A_reset_makes_a_broken_device_serve_again()
    {
        using var guest = new TestGuest();
        guest.Start();
        Misbehave(guest, "descriptor loop");
        Assert.NotNull(guest.Device.BrokenReason);

        guest.Restart();
        Assert.Null(guest.Device.BrokenReason);
        guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0), 0, 12);
        guest.Device.Kick(0);
        Assert.Equal(12, guest.TakeResponse().Response.Length);
    }

    [Fact]
    public void A_kick_before_setup_is_ignored()
    {
        using var guest = new TestGuest();
        guest.Device.Kick(0);
        guest.Device.Kick(1);
        guest.Device.Kick(7);
        Assert.Null(guest.Device.BrokenReason);
        Assert.Equal(0, guest.Device.CommandsAnswered);
    }

    [Theory]
    [InlineData(3, 0x1000ul, 0x2000ul, 0x3000ul, "not a power of two")]
    [InlineData(64, 0x1008ul, 0x2000ul, 0x3000ul, "misaligned")]
    [InlineData(64, 0x1000ul, 0x2001ul, 0x3000ul, "misaligned")]
    [InlineData(64, 0x1000ul, 0x2000ul, 0x3002ul, "misaligned")]
    [InlineData(64, 0x3FFF0ul, 0x2000ul, 0x3000ul, "descriptor table")]
    [InlineData(64, 0x1000ul, 0x3FFFEul, 0x3000ul, "available ring")]
    [InlineData(64, 0x1000ul, 0x2000ul, 0x50000ul, "used ring")]
    public void Ring_addresses_outside_memory_or_misaligned_are_refused(int size, ulong descriptors, ulong avail, ulong used, string expected)
    {
        using var guest = new TestGuest();
        const ulong region = TestGuest.RegionA;
        var error = guest.Device.ConfigureQueue(0, size, new(region + descriptors), new(region + avail), new(region + used), 0);
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(guest.Device.IsRunning(0));
        Assert.NotNull(guest.Device.ConfigureQueue(2, 64, new(region), new(region + 0x2000), new(region + 0x3000), 0));
    }

    [Fact]
    public void Random_rings_never_crash_the_device()
    {
        var random = new Random(32);
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        using var guest = new TestGuest(platform: platform);
        var ring = new byte[SplitRing.DescriptorTableBytes(TestGuest.QueueSize)];
        for (var round = 0; round < 300; round++)
        {
            guest.Device.Reset();
            guest.Device.SetFeatures(VirtioFeatures.ScmiDevice);
            guest.Start();
            random.NextBytes(ring);

            // Point some descriptors into memory so chains get deeper than the first check.
            for (var i = 0; i < TestGuest.QueueSize; i += 1 + random.Next(3))
                BinaryPrimitives.WriteUInt64LittleEndian(ring.AsSpan(i * 16), TestGuest.RegionA + (ulong)random.Next(0x40000));
            Assert.True(guest.Memory.TryWrite(guest.Commands.Descriptors, ring));
            for (var i = 0; i < 4; i++)
                guest.Commands.Publish((ushort)random.Next(TestGuest.QueueSize * 2));
            if (random.Next(4) == 0)
                guest.Commands.SetAvailIndex((ushort)random.Next());
            guest.Device.Kick(0);
        }

        // Still a working platform afterwards.
        using var healthy = new TestGuest(platform: platform);
        healthy.Start();
        healthy.PostCommand(healthy.Command(ScmiProtocolId.BASE, 0x0), 0, 12);
        healthy.Device.Kick(0);
        Assert.Equal(12, healthy.TakeResponse().Response.Length);
    }

    private static void Misbehave(TestGuest guest, string scenario)
    {
        var q = guest.Commands;
        var buffer = TestGuest.Slot(0);
        var table = TestGuest.Slot(10);
        const ushort next = SplitRing.VIRTQ_DESC_F_NEXT;
        const ushort write = SplitRing.VIRTQ_DESC_F_WRITE;
        const ushort indirect = SplitRing.VIRTQ_DESC_F_INDIRECT;
        Assert.True(guest.Memory.TryWrite(buffer, guest.Command(ScmiProtocolId.BASE, 0x0)));
        switch (scenario)
        {
            case "address outside memory":
                q.PublishRaw(new(Outside, 4, next), new(new GuestAddress(buffer.Value + 256), 12, write));
                break;
            case "buffer straddling the end of a region":
                q.PublishRaw(new(new GuestAddress(TestGuest.RegionA + TestGuest.SizeA - 2), 4, next), new(new GuestAddress(buffer.Value + 256), 12, write));
                break;
            case "descriptor loop":
                q.PublishRaw(new(buffer, 4, next), new(buffer, 4, next));
                break;
            case "chain longer than the queue":
                for (var i = 0; i < TestGuest.QueueSize; i++)
                    q.WriteDescriptor(i, buffer, 1, next, (ushort)((i + 1) % TestGuest.QueueSize));
                q.Publish(5);
                break;
            case "next past the table":
                q.WriteDescriptor(0, buffer, 4, next, TestGuest.QueueSize);
                q.Publish(0);
                break;
            case "head past the table":
                q.Publish(TestGuest.QueueSize + 3);
                break;
            case "read/write flags swapped":
                q.PublishRaw(new(new GuestAddress(buffer.Value + 256), 12, (ushort)(write | next)), new(buffer, 4, 0));
                break;
            case "available index jumping ahead":
                q.SetAvailIndex(TestGuest.QueueSize + 1);
                break;
            case "indirect table outside memory":
                q.WriteDescriptor(0, Outside, 32, indirect, 0);
                q.Publish(0);
                break;
            case "indirect with next":
                q.WriteDescriptor(0, table, 32, indirect | next, 1);
                q.Publish(0);
                break;
            case "nested indirect":
                WriteTable(guest, table, (table.Value, 32, indirect, 0));
                q.WriteDescriptor(0, table, 16, indirect, 0);
                q.Publish(0);
                break;
            case "indirect table of odd length":
                q.WriteDescriptor(0, table, 24, indirect, 0);
                q.Publish(0);
                break;
            case "indirect loop":
                WriteTable(guest, table, (buffer.Value, 4, next, 1), (buffer.Value, 4, next, 0));
                q.WriteDescriptor(0, table, 32, indirect, 0);
                q.Publish(0);
                break;
            case "readable eventq buffer":
                Assert.True(guest.Events.TryAdd([new BufferSegment(new GuestAddress(TestGuest.RegionB), 136, false)], out _));
                guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x8, [1, 0, 0, 0]), 1);
                guest.PostCommand(guest.Command(ScmiProtocolId.BASE, 0x0, [9, 9, 9, 9]), 2); // an error event to deliver
                guest.Device.Kick(0);
                DeviceTests.WaitUntil(() => guest.Device.BrokenReason is not null).GetAwaiter().GetResult();
                return;
            default:
                throw new ArgumentException(scenario);
        }

        guest.Device.Kick(0);
    }

    private static void WriteTable(TestGuest guest, GuestAddress at, params (ulong Address, uint Length, ushort Flags, ushort Next)[] entries)
    {
        var bytes = new byte[entries.Length * 16];
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 16), entries[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((i * 16) + 8), entries[i].Length);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((i * 16) + 12), entries[i].Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((i * 16) + 14), entries[i].Next);
        }

        Assert.True(guest.Memory.TryWrite(at, bytes));
    }
}
