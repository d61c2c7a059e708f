using Vscmi.Protocol.Fields;
using SensorConfig = Vscmi.Protocol.Fields.SensorBits.SensorConfigSet.Request.SensorConfig;

namespace Vscmi.Protocol.Tests;

public sealed class BitFieldTests
{
    [Theory]
    [InlineData(-16)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(15)]
    public void Signed_fields_round_trip_through_their_mask(int exponent)
    {
        var word = BitField.Put(exponent, SensorConfig.UpdateIntervalExponentMask, SensorConfig.UpdateIntervalExponentShift) | SensorConfig.Enabled;

        Assert.Equal(exponent, BitField.GetSigned(word, SensorConfig.UpdateIntervalExponentMask, SensorConfig.UpdateIntervalExponentShift));
        Assert.Equal(SensorConfig.Enabled, word & ~SensorConfig.UpdateIntervalExponentMask);
    }

    [Fact]
    public void Unsigned_fields_drop_bits_beyond_their_width()
    {
        var word = BitField.Put(0x1_0005u, SensorConfig.UpdateIntervalSecondsMask, SensorConfig.UpdateIntervalSecondsShift);

        Assert.Equal(0x0005_0000u, word);
        Assert.Equal(5u, BitField.Get(word | 0xFFFF, SensorConfig.UpdateIntervalSecondsMask, SensorConfig.UpdateIntervalSecondsShift));
    }

    [Fact]
    public void Sixty_four_bit_values_join_low_and_high_words()
    {
        Assert.Equal(0x0008_5006_FFFF_FFF6UL, BitField.Join(low: 0xFFFF_FFF6, high: 0x0008_5006));
    }

    [Fact]
    public void A_field_at_the_top_of_the_word_sign_extends()
    {
        // resolution_exponent: bits 31:27.
        const uint mask = SensorBits.SensorDescriptionGet.Response.Resolution.ResolutionExponentMask;
        const int shift = SensorBits.SensorDescriptionGet.Response.Resolution.ResolutionExponentShift;

        Assert.Equal(-1, BitField.GetSigned(0xF800_0000, mask, shift));
        Assert.Equal(15, BitField.GetSigned(0x7800_0000, mask, shift));
    }
}
