using System.Buffers.Binary;
using Vscmi.Protocol.Capture;

namespace Vscmi.Protocol.Tests;

/// <summary>
/// The pcapng traces vscmi writes and reads back (<c>vscmi trace --write</c>, <c>vscmi replay</c>):
/// round trips, every structural fault named with its offset, and random bytes that never crash
/// the reader; and the committed Wireshark dissector is the one the catalog generates.
/// </summary>
public sealed class CaptureTests
{
    private static byte[] Sample()
    {
        using var file = new MemoryStream();
        Pcapng.WriteHeader(file);
        Pcapng.WriteInterface(file, "OSPM");
        Pcapng.WriteInterface(file, "guest");
        Pcapng.WritePacket(file, 0, 1_796_000_000_123_456_789, CaptureDirection.Inbound, [0x06, 0x50, 0x14, 0x00, 3, 0, 0, 0]);
        Pcapng.WritePacket(file, 0, 1_796_000_000_123_470_000, CaptureDirection.Outbound, [0x06, 0x50, 0x14, 0x00, 0, 0, 0, 0, 1, 2, 3], latencyNs: 13_211);
        Pcapng.WritePacket(file, 1, 1_796_000_000_200_000_000, CaptureDirection.Outbound, [0x03, 0x5B, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 0, 0]);
        return file.ToArray();
    }

    [Fact]
    public void Messages_round_trip_with_agent_time_direction_and_latency()
    {
        var messages = Pcapng.Read(Sample());
        Assert.Equal(3, messages.Count);
        Assert.Equal(new CapturedMessage(0, "OSPM", 1_796_000_000_123_456_789, CaptureDirection.Inbound, [0x06, 0x50, 0x14, 0x00, 3, 0, 0, 0], 0), messages[0] with { Message = messages[0].Message },
            new CapturedMessageComparer());
        Assert.Equal([0x06, 0x50, 0x14, 0x00, 0, 0, 0, 0, 1, 2, 3], messages[1].Message);
        Assert.Equal(13_211, messages[1].LatencyNs);
        Assert.Equal(CaptureDirection.Outbound, messages[1].Direction);
        Assert.Equal("guest", messages[2].Agent);
        Assert.Equal(1, messages[2].Interface);
    }

    [Fact]
    public void Blocks_are_four_byte_aligned_and_carry_their_length_twice()
    {
        var file = Sample();
        var offset = 0;
        var blocks = 0;
        while (offset < file.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(offset + 4));
            Assert.Equal(0, length % 4);
            Assert.Equal(length, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(offset + length - 4)));
            offset += length;
            blocks++;
        }

        Assert.Equal(6, blocks);
        Assert.Equal(147, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(FirstBlockLength(file) + 8))); // LINKTYPE_USER0
    }

    private static int FirstBlockLength(byte[] file) => BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(4));

    [Fact]
    public void An_empty_file_or_one_without_a_section_header_is_refused()
    {
        Assert.Contains("empty", Assert.Throws<CaptureFormatException>(() => Pcapng.Read([])).Message, StringComparison.Ordinal);
        var file = Sample();
        var withoutHeader = file.AsSpan(FirstBlockLength(file)).ToArray();
        Assert.Contains("section header", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(withoutHeader)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(13)]
    [InlineData(1 << 21)]
    public void A_wrong_block_length_is_refused_with_its_offset(int length)
    {
        var file = Sample();
        var at = FirstBlockLength(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(at + 4), length);
        var error = Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file));
        Assert.StartsWith($"offset {at}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trailing_length_that_differs_is_refused()
    {
        var file = Sample();
        var at = FirstBlockLength(file);
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 4));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(at + length - 4), length + 4);
        Assert.Contains("trailing length", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_packet_on_an_interface_never_described_is_refused()
    {
        using var file = new MemoryStream();
        Pcapng.WriteHeader(file);
        Pcapng.WriteInterface(file, "OSPM");
        Pcapng.WritePacket(file, 1, 0, CaptureDirection.Inbound, [1, 2, 3, 4]);
        Assert.Contains("packet on interface 1, but 1 interface(s)", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file.ToArray())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_captured_length_past_the_block_is_refused()
    {
        var file = Sample();
        var at = FirstBlockLength(file);
        at += BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 4));
        at += BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 4)); // the first packet block
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(at + 8 + 12), 500);
        Assert.Contains("captured length 500", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reserved_direction_value_and_another_link_type_are_refused()
    {
        using (var file = new MemoryStream())
        {
            Pcapng.WriteHeader(file);
            Pcapng.WriteInterface(file, "OSPM");
            Pcapng.WritePacket(file, 0, 0, (CaptureDirection)3, [1, 2, 3, 4]);
            Assert.Contains("direction 3 is reserved", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file.ToArray())).Message, StringComparison.Ordinal);
        }

        var sample = Sample();
        BinaryPrimitives.WriteUInt16LittleEndian(sample.AsSpan(FirstBlockLength(sample) + 8), 1); // Ethernet
        Assert.Contains("link type 1", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(sample)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_big_endian_section_is_refused()
    {
        var file = Sample();
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(8), 0x1A2B3C4D);
        Assert.Contains("byte-order magic", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_option_running_past_its_block_is_refused()
    {
        var file = Sample();
        var at = FirstBlockLength(file) + 8 + 8; // the first interface's first option
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at + 2), 900);
        Assert.Contains("option 2 of 900 bytes", Assert.Throws<CaptureFormatException>(() => Pcapng.Read(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_and_mutated_files_never_crash_the_reader()
    {
        var random = new Random(1616);
        var sample = Sample();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])sample.Clone();
                for (var flips = random.Next(1, 6); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0)
                    bytes = bytes[..random.Next(bytes.Length)];
            }

            try
            {
                Pcapng.Read(bytes);
            }
            catch (CaptureFormatException)
            {
            }
        }
    }

    [Fact]
    public void The_committed_dissector_is_the_generated_one()
    {
        var committed = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "wireshark", "vscmi.lua"));
        Assert.True(committed == WiresharkDissector.Generate(), "docs/wireshark/vscmi.lua is stale: run ./vscmi dissector -o docs/wireshark/vscmi.lua");
    }

    [Fact]
    public void The_dissector_has_every_message_and_notification_of_the_catalog()
    {
        var lua = WiresharkDissector.Generate();
        foreach (var protocol in Vscmi.Protocol.Protocols.ScmiCatalog.Protocols)
        {
            foreach (var message in protocol.Messages)
                Assert.Contains($"name = \"{message.Name}\"", lua, StringComparison.Ordinal);
            foreach (var notification in protocol.Notifications)
                Assert.Contains($"name = \"{notification.Name}\"", lua, StringComparison.Ordinal);
        }

        Assert.Contains("ProtoField.uint32(\"vscmi.clock_id\"", lua, StringComparison.Ordinal);
        Assert.Contains("(vals[\"extended_attributes\"] or 0) == 1", lua, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Vscmi.slnx")))
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("no Vscmi.slnx above the test's directory");
        return directory;
    }

    private sealed class CapturedMessageComparer : IEqualityComparer<CapturedMessage>
    {
        public bool Equals(CapturedMessage? x, CapturedMessage? y) =>
            x is not null && y is not null && x.Interface == y.Interface && x.Agent == y.Agent && x.UnixTimeNs == y.UnixTimeNs
            && x.Direction == y.Direction && x.Message.AsSpan().SequenceEqual(y.Message) && x.LatencyNs == y.LatencyNs;

        public int GetHashCode(CapturedMessage obj) => obj.UnixTimeNs.GetHashCode();
    }
}
