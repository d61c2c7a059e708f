using Vscmi.VhostUser;

namespace Vscmi.Integration.Tests;

/// <summary>The typed vhost-user payloads both ends use: round trips, wrong lengths, out-of-range entries, random bytes.</summary>
public sealed class VhostUserPayloadTests
{
    [Fact]
    public void Each_payload_reads_back_what_was_written()
    {
        var state = new VringState(1, 0xBEEF);
        Assert.True(VringState.TryRead(state.ToArray(), out var readState));
        Assert.Equal(state, readState);
        Assert.Equal(state, VringState.FromUInt64(state.AsUInt64));
        Assert.Equal(1UL | (0xBEEFUL << 32), state.AsUInt64);

        var address = new VringAddress(1, VringAddress.LogFlag, 0x1000, 0x2000, 0x3000, 0x4000);
        Assert.True(VringAddress.TryRead(address.ToArray(), out var readAddress));
        Assert.Equal(address, readAddress);
        Assert.True(address.IsValid);

        MemoryRegion[] regions = [new(0x4000_0000, 0x10_0000, 0x7F00_4000_0000, 0), new(0x8000_0000, 0x1000, 0x7F00_8000_0000, 0x2000)];
        var table = MemoryRegion.Table(regions);
        Assert.Equal(MemoryRegion.TableHeaderSize + (2 * MemoryRegion.Size), table.Length);
        Assert.Equal(2u, BitConverter.ToUInt32(table));
        for (var i = 0; i < regions.Length; i++)
        {
            Assert.True(MemoryRegion.TryRead(table, i, out var region));
            Assert.Equal(regions[i], region);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(40)]
    public void A_vring_state_of_the_wrong_length_is_not_read(int length) =>
        Assert.False(VringState.TryRead(new byte[length], out _));

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(39)]
    [InlineData(41)]
    public void A_vring_address_of_the_wrong_length_is_not_read(int length) =>
        Assert.False(VringAddress.TryRead(new byte[length], out _));

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    [InlineData(int.MaxValue)]
    public void A_region_past_the_table_is_not_read(int index)
    {
        var table = MemoryRegion.Table([new(0, 0x1000, 0, 0), new(0x1000, 0x1000, 0x1000, 0)]);
        Assert.False(MemoryRegion.TryRead(table, index, out _));
        Assert.False(MemoryRegion.TryRead(table.AsSpan(0, table.Length - 1), 1, out _)); // one byte short of the last entry
    }

    [Theory]
    [InlineData(0x2u)]
    [InlineData(0x8000_0000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void Vring_address_flags_beyond_the_log_bit_are_invalid(uint flags) =>
        Assert.False(new VringAddress(0, flags, 0, 0, 0, 0).IsValid);

    [Theory]
    [InlineData(0x1000ul, 0ul, 0ul)]                   // empty
    [InlineData(0xFFFF_FFFF_FFFF_F000ul, 0x2000ul, 0ul)] // guest range wraps
    [InlineData(0ul, 0x2000ul, 0xFFFF_FFFF_FFFF_F000ul)] // frontend range wraps
    public void Regions_that_are_empty_or_wrap_are_invalid(ulong guest, ulong size, ulong user) =>
        Assert.False(new MemoryRegion(guest, size, user, 0).IsValid);

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20261130);
        for (var i = 0; i < 10_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (VringState.TryRead(bytes, out var state))
                Assert.Equal(bytes, state.ToArray());
            if (VringAddress.TryRead(bytes, out var address))
                Assert.Equal(bytes, address.ToArray());
            for (var r = -1; r < 10; r++)
                MemoryRegion.TryRead(bytes, r, out _);
        }
    }
}
