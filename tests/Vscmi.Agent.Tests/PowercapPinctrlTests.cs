using System.Buffers.Binary;

namespace Vscmi.Agent.Tests;

/// <summary>The Powercap and Pin control typed APIs against a scripted platform (ours serves them with the multi-agent issue).</summary>
public class PowercapPinctrlTests
{
    private static uint[] Words(byte[] message) =>
        Enumerable.Range(0, message.Length / 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(i * 4))).ToArray();

    [Fact]
    public async Task Powercap_cap_set_with_delayed_response_and_measurements()
    {
        await using var fake = new FakePlatform();
        var set = fake.Client.Powercap.SetCapAndWaitAsync(0, 4500);
        var request = await fake.ReceiveAsync();
        Assert.Equal(new uint[] { 0, 2, 4500 }, Words(request)[1..]); // domain, flags (bit 1 async), cap
        await fake.SendAsync(FakePlatform.Header(request), 0);
        await fake.SendAsync(FakePlatform.Header(request) | 0x200, 0, 0, 4400);
        Assert.Equal(4400u, await set);

        var measure = fake.Client.Powercap.GetMeasurementsAsync(0);
        var m = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(m), 0, 3900, 1000);
        Assert.Equal((3900u, 1000u), await measure);
    }

    [Fact]
    public async Task Powercap_domain_attributes_map_to_a_record()
    {
        await using var fake = new FakePlatform();
        var get = fake.Client.Powercap.GetDomainAsync(0);
        var request = await fake.ReceiveAsync();
        var name = new byte[16];
        "soc"u8.CopyTo(name);
        var reply = new List<uint> { FakePlatform.Header(request), 0, 0x0B000000 };
        reply.AddRange(Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(name.AsSpan(i * 4))));
        reply.AddRange([1000, 100000, 1000, 1000, 10000, 100, 5000, 1, 0xFFFFFFFF]);
        await fake.SendAsync([.. reply]);
        var domain = await get;
        Assert.Equal(("soc", true, true, 2, 10000u, (uint?)null), (domain.Name, domain.CapConfigurable, domain.PaiConfigurable, domain.PowerUnit, domain.MaxCap, domain.ParentId));
    }

    [Fact]
    public async Task Sensor_axes_are_described_from_a_multi_axis_platform()
    {
        await using var fake = new FakePlatform();
        var axes = fake.Client.Sensor.DescribeAxesAsync(3).ToListAsync().AsTask();
        var request = await fake.ReceiveAsync();
        Assert.Equal(new uint[] { 3, 0 }, Words(request)[1..]);
        var name = new byte[16];
        "x"u8.CopyTo(name);
        var reply = new List<uint> { FakePlatform.Header(request), 0, 0x00000001, 0, 0x00000200, 0x00000059 }; // 1 returned; axis 0 with an extended name, m/s^2
        reply.AddRange(Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(name.AsSpan(i * 4))));
        await fake.SendAsync([.. reply]);
        var axis = (await axes).Single();
        Assert.Equal((0u, "x", (byte)0x59, true), (axis.Id, axis.Name, axis.UnitType, axis.ExtendedName));
    }

    [Fact]
    public async Task Pin_associations_are_walked_in_parts()
    {
        await using var fake = new FakePlatform();
        var list = fake.Client.Pinctrl.ListAssociationsAsync(1, PinctrlSelector.Group).ToListAsync().AsTask();
        var first = await fake.ReceiveAsync();
        Assert.Equal(new uint[] { 1, 1, 0 }, Words(first)[1..]);
        await fake.SendAsync(FakePlatform.Header(first), 0, 0x00010003, 0x00050004, 0x00000006); // 3 returned, 1 remaining: 4, 5, 6
        var second = await fake.ReceiveAsync();
        Assert.Equal(3u, Words(second)[3]);
        await fake.SendAsync(FakePlatform.Header(second), 0, 0x00000001, 0x00000007);
        Assert.Equal(new uint[] { 4, 5, 6, 7 }, await list);
    }

    [Fact]
    public async Task Pin_settings_are_read_and_written()
    {
        await using var fake = new FakePlatform();
        var get = fake.Client.Pinctrl.GetSettingsAsync(3, PinctrlSelector.Pin);
        var request = await fake.ReceiveAsync();
        Assert.Equal(0x00040000u, Words(request)[2]); // config_flag = all
        await fake.SendAsync(FakePlatform.Header(request), 0, 2, 0x00000002, 4, 1, 10, 8); // function 2; returned 2, remaining 0
        var (function, configs) = await get;
        Assert.Equal(2u, function);
        Assert.Equal(new (byte, uint)[] { (4, 1), (10, 8) }, configs);

        var configure = fake.Client.Pinctrl.ConfigureAsync(3, PinctrlSelector.Pin, null, [(18, 1)]);
        var write = await fake.ReceiveAsync();
        Assert.Equal(new uint[] { 3, 0xFFFFFFFF, 0x4, 18, 1 }, Words(write)[1..]);
        await fake.SendAsync(FakePlatform.Header(write), 0);
        await configure;

        var requestPin = fake.Client.Pinctrl.RequestAsync(3, PinctrlSelector.Pin);
        var r = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(r), unchecked((uint)-11));
        Assert.Equal(ScmiStatus.IN_USE, (await Assert.ThrowsAsync<ScmiStatusException>(() => requestPin)).StatusCode);
    }
}
