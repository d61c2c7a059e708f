namespace Vscmi.Protocol.Tests;

public class ReaderWriterTests
{
    [Fact]
    public void Reads_little_endian_words_and_64_bit_low_then_high()
    {
        var reader = new ScmiReader(Convert.FromHexString("0100000002000000030000000400"));
        Assert.Equal(1u, reader.ReadUInt32());
        Assert.Equal(0x0000000300000002ul, reader.ReadUInt64());
        Assert.Equal(4, reader.ReadUInt16());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void A_failed_try_read_consumes_nothing()
    {
        var reader = new ScmiReader(new byte[] { 1, 2, 3 });
        Assert.False(reader.TryReadUInt32(out _));
        Assert.False(reader.TryReadUInt64(out _));
        Assert.False(reader.TryReadBytes(4, out _));
        Assert.False(reader.TryReadBytes(-1, out _));
        Assert.Equal(0, reader.Position);
        Assert.True(reader.TryReadUInt16(out var value));
        Assert.Equal(0x0201, value);
    }

    [Fact]
    public void A_failed_read_throws_the_protocol_exception_and_consumes_nothing()
    {
        var bytes = new byte[] { 1, 2 };
        var position = -1;
        var e = Assert.Throws<ScmiProtocolException>(() =>
        {
            var reader = new ScmiReader(bytes);
            try
            {
                reader.ReadUInt32();
            }
            finally
            {
                position = reader.Position;
            }
        });
        Assert.Equal(ScmiDecodeError.Truncated, e.Error);
        Assert.Equal(0, position);
    }

    [Fact]
    public void EnsureEnd_reports_trailing_bytes()
    {
        var e = Assert.Throws<ScmiProtocolException>(() =>
        {
            var reader = new ScmiReader(new byte[5]);
            reader.ReadUInt32();
            reader.EnsureEnd();
        });
        Assert.Equal(ScmiDecodeError.TrailingBytes, e.Error);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void Writer_refuses_to_write_past_its_buffer()
    {
        var buffer = new byte[6];
        var e = Assert.Throws<ScmiProtocolException>(() =>
        {
            var writer = new ScmiWriter(buffer);
            writer.WriteUInt32(0xAABBCCDD);
            writer.WriteUInt32(1);
        });
        Assert.Equal(ScmiDecodeError.TooLarge, e.Error);
        Assert.Equal("DDCCBBAA0000", Convert.ToHexString(buffer));
    }

    [Fact]
    public void Writer_writes_what_reader_reads()
    {
        var buffer = new byte[18];
        var writer = new ScmiWriter(buffer);
        writer.WriteInt32(-10);
        writer.WriteUInt64(0x1122334455667788);
        writer.WriteUInt16(0xBEEF);
        writer.WriteZeros(2);
        Assert.Equal(16, writer.Position);
        var reader = new ScmiReader(buffer);
        Assert.Equal(-10, reader.ReadInt32());
        Assert.Equal(0x1122334455667788ul, reader.ReadUInt64());
        Assert.Equal(0xBEEF, reader.ReadUInt16());
    }

    [Theory]
    [InlineData(0, "SUCCESS")]
    [InlineData(-4, "NOT_FOUND")]
    [InlineData(-11, "IN_USE")]
    [InlineData(-12, "PARTIAL")]
    [InlineData(-13, "-13 (reserved)")]
    [InlineData(-128, "-128 (vendor)")]
    [InlineData(5, "5 (reserved)")]
    public void Status_words_have_names(int status, string expected)
    {
        Assert.Equal(expected, ScmiStatusNames.Describe(status));
    }
}
