namespace Vscmi.Protocol.Tests;

public class HeaderTests
{
    // Worked examples of reference 1.1.
    [Theory]
    [InlineData(0x00, ScmiMessageType.COMMAND, 0x10, 0, 0x00004000u)]
    [InlineData(0x06, ScmiMessageType.COMMAND, 0x14, 5, 0x00145006u)]
    [InlineData(0x01, ScmiMessageType.NOTIFICATION, 0x15, 0, 0x00005701u)]
    [InlineData(0x05, ScmiMessageType.DELAYED_RESPONSE, 0x14, 1023, 0x0FFC5205u)]
    [InlineData(0xFF, ScmiMessageType.COMMAND, 0xFF, 0, 0x0003FCFFu)]
    public void Packs_fields_at_the_spec_bit_positions(byte messageId, ScmiMessageType type, byte protocolId, ushort token, uint expected)
    {
        var header = new ScmiHeader(messageId, type, protocolId, token);

        Assert.Equal(expected, header.Value);
        Assert.True(ScmiHeader.TryFromValue(expected, out var parsed));
        Assert.Equal((messageId, type, protocolId, token), (parsed.MessageId, parsed.Type, parsed.ProtocolId, parsed.Token));
    }

    [Fact]
    public void Token_limit_is_derived_from_the_10_bit_field()
    {
        Assert.Equal(1023, ScmiHeader.MaxToken);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScmiHeader(0, ScmiMessageType.COMMAND, 0x10, 1024));
    }

    [Theory]
    [InlineData(0x10004000u)]
    [InlineData(0x80000000u)]
    [InlineData(0xF0000000u)]
    public void Rejects_reserved_bits(uint value)
    {
        Assert.False(ScmiHeader.TryFromValue(value, out var header));
        Assert.NotEqual(0u, header.ReservedBits);
    }

    [Fact]
    public void Rejects_the_reserved_message_type()
    {
        Assert.False(ScmiHeader.TryFromValue(0x00004100, out _));
    }

    [Fact]
    public void Round_trips_every_valid_header_word_sampled()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 100_000; i++)
        {
            var value = (uint)random.NextInt64(0, 1L << 28);
            if (((value >> 8) & 3) == 1)
                continue;
            Assert.True(ScmiHeader.TryFromValue(value, out var h));
            Assert.Equal(value, new ScmiHeader(h.MessageId, h.Type, h.ProtocolId, h.Token).Value);
        }
    }

    [Fact]
    public void WithType_keeps_id_protocol_and_token()
    {
        var command = new ScmiHeader(0x05, ScmiMessageType.COMMAND, 0x14, 77);
        var delayed = command.WithType(ScmiMessageType.DELAYED_RESPONSE);
        Assert.Equal((0x05, 0x14, 77), (delayed.MessageId, delayed.ProtocolId, delayed.Token));
        Assert.Equal(ScmiMessageType.DELAYED_RESPONSE, delayed.Type);
    }
}
