using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

public class ResetVoltageListTests
{
    private readonly Harness _h = new();

    private ScmiStatus Reset(uint domain, uint autonomous, uint assert, uint async = 0, uint id = 0, uint type = 0) =>
        _h.Status(ResetMessageId.RESET, ("domain_id", domain), ("autonomous", autonomous), ("explicit_assert", assert), ("async", async), ("reset_id", id), ("reset_type", type));

    [Fact]
    public void Reset_domains_assert_deassert_and_reset()
    {
        Assert.Equal(3ul, _h.Ok(ResetMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"));
        var eth = _h.Ok(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", 0));
        Assert.Equal(("eth", 100ul, 1ul), (eth.GetText("name"), eth.GetUInt64("latency_us"), eth.GetUInt64("async_reset"))); // async = true in the default model
        Assert.Equal(0ul, _h.Ok(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", 1)).GetUInt64("async_reset"));
        var state = _h.Platform.State.Resets[0];

        Assert.Equal(ScmiStatus.SUCCESS, Reset(0, autonomous: 0, assert: 1));
        Assert.True(state.Asserted);
        Assert.Equal(ScmiStatus.SUCCESS, Reset(0, autonomous: 0, assert: 0));
        Assert.False(state.Asserted);
        Assert.Equal(ScmiStatus.SUCCESS, Reset(0, autonomous: 1, assert: 0));
        Assert.Equal((false, 2u), (state.Asserted, state.Count));

        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, Reset(0, autonomous: 1, assert: 1));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, Reset(1, autonomous: 1, assert: 0, async: 1)); // usb is synchronous only
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, Reset(0, autonomous: 1, assert: 0, type: 1));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, Reset(0, autonomous: 1, assert: 0, id: 1));
        Assert.Equal(ScmiStatus.NOT_FOUND, Reset(3, autonomous: 1, assert: 0));
        Assert.Equal(2u, state.Count);

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ResetMessageId.RESET_NOTIFY, ("domain_id", 2), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ResetMessageId.RESET_NOTIFY, ("domain_id", 3), ("notify_enable", 1)));
        Assert.Equal("usb", _h.Ok(ResetMessageId.RESET_DOMAIN_NAME_GET, ("domain_id", 1)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ResetMessageId.RESET_DOMAIN_NAME_GET, ("domain_id", 3)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", 3)));
    }

    [Fact]
    public void Voltage_levels_config_and_set()
    {
        Assert.Equal(3ul, _h.Ok(VoltageMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"));
        Assert.Equal("vdd_gpu", _h.Ok(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, ("domain_id", 1)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, ("domain_id", 3)));
        Assert.Equal(new ulong[] { 800000, 850000, 900000, 950000, 1000000 },
            _h.Ok(VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", 0)).GetNumbers("levels_uv"));
        var range = _h.Ok(VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, ("domain_id", 1), ("level_index", 0));
        Assert.Equal(1ul, range.GetUInt64("format"));
        Assert.Equal(new ulong[] { 600000, 1100000, 12500 }, range.GetNumbers("levels_uv"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", 5)));

        Assert.Equal(7ul, _h.Ok(VoltageMessageId.VOLTAGE_CONFIG_GET, ("domain_id", 0)).GetUInt64("mode"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(VoltageMessageId.VOLTAGE_CONFIG_SET, ("domain_id", 0), ("mode", 0)));
        Assert.Equal(0ul, _h.Ok(VoltageMessageId.VOLTAGE_CONFIG_GET, ("domain_id", 0)).GetUInt64("mode"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(VoltageMessageId.VOLTAGE_CONFIG_SET, ("domain_id", 0), ("mode", 9)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(VoltageMessageId.VOLTAGE_CONFIG_SET, ("domain_id", 3), ("mode", 7)));

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 1), ("async", 0), ("voltage_level_uv", 612500)));
        Assert.Equal(612500L, _h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 1)).GetInt64("voltage_level_uv"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 1), ("async", 0), ("voltage_level_uv", 612501)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 0), ("voltage_level_uv", 870000)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 0), ("voltage_level_uv", -1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 1), ("voltage_level_uv", 850000)));
        Assert.Equal(900000L, _h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 0)).GetInt64("voltage_level_uv"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 3)));
        Assert.Equal("vdd_io", _h.Ok(VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, ("domain_id", 2)).GetText("name"));
    }

    public static TheoryData<int> PayloadSizes => [16, 24, 32, 64, 100, 128, 1024];

    /// <summary>Walks a multi-part list as Linux does (index += returned until remaining = 0).</summary>
    private static List<FieldSet> Collect(Harness h, Func<int, ScmiMessage> call, string listField)
    {
        var entries = new List<FieldSet>();
        for (var index = 0; ; )
        {
            var reply = call(index);
            Assert.Equal(0, reply.Status);
            var part = reply.Fields.GetRecords(listField);
            Assert.NotEmpty(part);
            Assert.True(ScmiMessageCodec.EncodeToArray(reply.Header, reply.Kind, 0, reply.Fields).Length - 8 <= h.Session.MaxPayload);
            entries.AddRange(part);
            index += part.Count;
            if (reply.Fields.GetUInt64("remaining") == 0)
                return entries;
        }
    }

    [Theory]
    [MemberData(nameof(PayloadSizes))]
    public void Sensor_descriptors_split_to_fit_the_channel(int maxPayload)
    {
        var h = new Harness(maxPayload: Math.Max(maxPayload, 32));
        var all = Collect(h, i => h.Call(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", i)), "descriptors");
        Assert.Equal(new ulong[] { 0, 1, 2, 3, 4, 5 }, all.Select(d => d.GetUInt64("sensor_id")));
        if (maxPayload == 128)
        {
            // Linux's virtio budget: 4 descriptors of 28 bytes after the count word (reference 4.4).
            var first = h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0));
            Assert.Equal((4ul, 2ul), (first.GetUInt64("returned"), first.GetUInt64("remaining")));
        }
    }

    [Theory]
    [MemberData(nameof(PayloadSizes))]
    public void Perf_levels_split_to_fit_the_channel(int maxPayload)
    {
        var h = new Harness(maxPayload: Math.Max(maxPayload, 24));
        var levels = Collect(h, i => h.Call(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", 1), ("level_index", i)), "levels");
        Assert.Equal(new ulong[] { 800, 1200, 1600, 2000, 2400, 2800 }, levels.Select(l => l.GetUInt64("performance_level")));
    }

    [Theory]
    [MemberData(nameof(PayloadSizes))]
    public void Discrete_rates_and_voltage_levels_split_to_fit_the_channel(int maxPayload)
    {
        var h = new Harness(maxPayload: maxPayload);
        var rates = new List<ulong>();
        var voltages = new List<ulong>();
        for (var index = 0; ;)
        {
            var reply = h.Ok(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 7), ("rate_index", index));
            rates.AddRange(reply.GetNumbers("rates"));
            index += (int)reply.GetUInt64("returned");
            if (reply.GetUInt64("remaining") == 0)
                break;
            Assert.Equal((ulong)(3 - index), reply.GetUInt64("remaining"));
        }

        for (var index = 0; ;)
        {
            var reply = h.Ok(VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", index));
            voltages.AddRange(reply.GetNumbers("levels_uv"));
            index += (int)reply.GetUInt64("returned");
            if (reply.GetUInt64("remaining") == 0)
                break;
        }

        Assert.Equal(new ulong[] { 74250000, 148500000, 297000000 }, rates);
        Assert.Equal(new ulong[] { 800000, 850000, 900000, 950000, 1000000 }, voltages);
    }
}
