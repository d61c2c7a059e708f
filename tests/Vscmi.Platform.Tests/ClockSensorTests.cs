using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

public class ClockSensorTests
{
    private readonly Harness _h = new();

    private ulong Rate(uint clock) => _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", clock)).GetUInt64("rate");

    private ScmiStatus SetRate(uint clock, ulong rate, uint rounding = 0, uint async = 0) =>
        _h.Status(ClockMessageId.CLOCK_RATE_SET, ("async", async), ("rounding", rounding), ("clock_id", clock), ("rate", rate));

    [Fact]
    public void Clock_attributes()
    {
        Assert.Equal(8ul, _h.Ok(ClockMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_clocks"));
        var uart = _h.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 4));
        Assert.Equal(("uart0", 1ul, 1ul), (uart.GetText("name"), uart.GetUInt64("enabled"), uart.GetUInt64("parents")));
        var pll = _h.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 1));
        Assert.Equal((0ul, 50ul), (pll.GetUInt64("parents"), pll.GetUInt64("clock_enable_delay_us")));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 8)));
        Assert.Equal("display_pixel", _h.Ok(ClockMessageId.CLOCK_NAME_GET, ("clock_id", 7)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_NAME_GET, ("clock_id", 8)));
    }

    [Fact]
    public void Describes_discrete_rates_and_range_triplets()
    {
        var discrete = _h.Ok(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 3), ("rate_index", 0));
        Assert.Equal(new ulong[] { 100000000, 200000000, 400000000 }, discrete.GetNumbers("rates"));
        Assert.Equal(0ul, discrete.GetUInt64("format"));
        var range = _h.Ok(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 6), ("rate_index", 0));
        Assert.Equal((3ul, 1ul, 0ul), (range.GetUInt64("returned"), range.GetUInt64("format"), range.GetUInt64("remaining")));
        Assert.Equal(new ulong[] { 200000000, 1000000000, 50000000 }, range.GetNumbers("rates"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 6), ("rate_index", 1)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 3), ("rate_index", 3)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", 9), ("rate_index", 0)));
    }

    [Theory]
    [InlineData(3u, 250000000ul, 0u, 200000000ul)]   // discrete, round down
    [InlineData(3u, 250000000ul, 1u, 400000000ul)]   // discrete, round up
    [InlineData(3u, 250000000ul, 2u, 200000000ul)]   // discrete, closest
    [InlineData(3u, 350000000ul, 2u, 400000000ul)]
    [InlineData(3u, 400000000ul, 0u, 400000000ul)]   // exact
    [InlineData(6u, 520000000ul, 0u, 500000000ul)]   // range step 50 MHz
    [InlineData(6u, 520000000ul, 1u, 550000000ul)]
    [InlineData(6u, 530000000ul, 2u, 550000000ul)]
    [InlineData(6u, 1000000000ul, 1u, 1000000000ul)]
    public void A_rate_set_is_rounded_and_read_back(uint clock, ulong requested, uint rounding, ulong expected)
    {
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(clock, requested, rounding));
        Assert.Equal(expected, Rate(clock));
    }

    [Fact]
    public void Rate_set_errors_leave_the_rate_unchanged()
    {
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, SetRate(3, 50000000, rounding: 0));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, SetRate(3, 500000000, rounding: 1));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, SetRate(6, 100000000, rounding: 2));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, SetRate(6, 1100000000, rounding: 2));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, SetRate(3, 50000000, async: 1));
        Assert.Equal(ScmiStatus.NOT_FOUND, SetRate(8, 100000000));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 8)));
        Assert.Equal(200000000ul, Rate(3));
        Assert.Equal(500000000ul, Rate(6));
    }

    [Fact]
    public void Config_set_enables_and_disables()
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 5), ("state", 1), ("extended_config_type", 0), ("extended_config_val", 0)));
        Assert.Equal(1ul, _h.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 5)).GetUInt64("enabled"));
        Assert.Equal(1ul, _h.Ok(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 5), ("extended_config_type", 0)).GetUInt64("enabled"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 5), ("state", 0), ("extended_config_type", 0), ("extended_config_val", 0)));
        Assert.Equal(0ul, _h.Ok(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 5), ("extended_config_type", 0)).GetUInt64("enabled"));

        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 5), ("state", 3), ("extended_config_type", 1), ("extended_config_val", 50)));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 5), ("state", 3), ("extended_config_type", 0), ("extended_config_val", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 8), ("state", 1), ("extended_config_type", 0), ("extended_config_val", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 5), ("extended_config_type", 2)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 8), ("extended_config_type", 0)));
    }

    [Fact]
    public void Parents_are_listed_set_and_read()
    {
        Assert.Equal(new ulong[] { 0, 3 }, _h.Ok(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, ("clock_id", 4), ("skip_parents", 0)).GetNumbers("parents"));
        Assert.Equal(new ulong[] { 3 }, _h.Ok(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, ("clock_id", 4), ("skip_parents", 1)).GetNumbers("parents"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, ("clock_id", 4), ("skip_parents", 2)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, ("clock_id", 1), ("skip_parents", 0)));
        Assert.Equal(0ul, _h.Ok(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 4)).GetUInt64("parent_id"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_PARENT_SET, ("clock_id", 4), ("parent_id", 3)));
        Assert.Equal(3ul, _h.Ok(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 4)).GetUInt64("parent_id"));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(ClockMessageId.CLOCK_PARENT_SET, ("clock_id", 4), ("parent_id", 2)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_PARENT_SET, ("clock_id", 4), ("parent_id", 8)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(ClockMessageId.CLOCK_PARENT_SET, ("clock_id", 1), ("parent_id", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 1)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 8)));
        Assert.Equal(3ul, _h.Ok(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 4)).GetUInt64("parent_id"));
    }

    [Fact]
    public void Clock_permissions_and_notifications()
    {
        var permissions = _h.Ok(ClockMessageId.CLOCK_GET_PERMISSIONS, ("clock_id", 0));
        Assert.Equal((1ul, 1ul, 1ul), (permissions.GetUInt64("state_control"), permissions.GetUInt64("parent_control"), permissions.GetUInt64("rate_control")));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_GET_PERMISSIONS, ("clock_id", 8)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 2), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, ("clock_id", 2), ("notify_enable", 1)));
        Assert.True(_h.Session.IsSubscribed(0x14, (byte)ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, 2));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 8), ("notify_enable", 1)));
    }

    [Fact]
    public void Sensors_are_described_with_unit_and_exponent()
    {
        Assert.Equal(6ul, _h.Ok(SensorMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_sensors"));
        var reply = _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0));
        var first = reply.GetRecords("descriptors")[0];
        Assert.Equal(("cpu_temp", 0ul, 2ul, -3L, 2ul), (first.GetText("name"), first.GetUInt64("sensor_id"), first.GetUInt64("sensor_type"), first.GetInt64("unit_exponent"), first.GetUInt64("num_trip_points")));
        Assert.Equal(0ul, first.GetUInt64("extended_attributes"));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 6)));
        Assert.Equal("soc_energy", _h.Ok(SensorMessageId.SENSOR_NAME_GET, ("sensor_id", 5)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(SensorMessageId.SENSOR_NAME_GET, ("sensor_id", 6)));
    }

    [Fact]
    public void Readings_follow_their_sources()
    {
        var time = new ManualTime();
        var h = new Harness(time: time);
        long Read(uint id) => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", id), ("async", 0)).GetRecords("readings").Single().GetInt64("value");

        Assert.Equal(900, Read(2));                  // constant
        Assert.Equal(45000, Read(0));                // sine at t = 0
        time.Advance(TimeSpan.FromSeconds(15));      // a quarter of the 60 s period
        Assert.Equal(50000, Read(0));
        Assert.Equal(37500, Read(5));                // ramp 2500 per second
        var walk = Enumerable.Range(0, 200).Select(_ => Read(1)).ToList();
        Assert.All(walk, v => Assert.InRange(v, 30000, 90000));
        Assert.All(walk.Zip(walk.Skip(1)), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 500));
        Assert.Equal(ScmiStatus.NOT_FOUND, h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 6), ("async", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 1)));
    }

    [Fact]
    public void A_file_source_reads_a_host_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vscmi-sensor-{Guid.NewGuid():N}");
        File.WriteAllText(path, "42500\n");
        try
        {
            var text = $$"""
                [platform]
                vendor = "t"
                [[agent]]
                name = "a"
                [[sensor]]
                name = "host_temp"
                type = "temperature"
                unit_exponent = -3
                source = { kind = "file", path = "{{path}}" }
                """;
            var h = new Harness(Vscmi.Platform.Model.ModelLoader.Load(text, "file.toml"));
            Assert.Equal(42500, h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)).GetRecords("readings")[0].GetInt64("value"));
            File.Delete(path);
            Assert.Equal(ScmiStatus.HARDWARE_ERROR, h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sensor_config_trip_points_intervals_and_axes()
    {
        var config = _h.Ok(SensorMessageId.SENSOR_CONFIG_GET, ("sensor_id", 0));
        Assert.Equal((1ul, 1ul), (config.GetUInt64("enabled"), config.GetUInt64("update_interval_seconds")));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_CONFIG_SET, ("sensor_id", 0), ("enabled", 0), ("update_interval_seconds", 5), ("update_interval_exponent", -1)));
        config = _h.Ok(SensorMessageId.SENSOR_CONFIG_GET, ("sensor_id", 0));
        Assert.Equal((0ul, 5ul, -1L), (config.GetUInt64("enabled"), config.GetUInt64("update_interval_seconds"), config.GetInt64("update_interval_exponent")));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_CONFIG_SET, ("sensor_id", 0), ("enabled", 1), ("timestamping", 1)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(SensorMessageId.SENSOR_CONFIG_GET, ("sensor_id", 9)));

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0), ("direction", 1), ("trip_point_id", 1), ("trip_point_value", 48000)));
        Assert.Equal((1u, 48000L), _h.Platform.State.Sensors[0].Trips[1]);
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0), ("direction", 1), ("trip_point_id", 2), ("trip_point_value", 1)));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 2), ("direction", 1), ("trip_point_id", 0), ("trip_point_value", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, ("sensor_id", 0), ("event_control", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 0), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 6), ("notify_enable", 1)));

        var intervals = _h.Ok(SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, ("sensor_id", 0), ("index", 0));
        Assert.Equal(1ul, intervals.GetRecords("intervals").Single().GetUInt64("seconds"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(SensorMessageId.SENSOR_LIST_UPDATE_INTERVALS, ("sensor_id", 0), ("index", 1)));

        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 0), ("axis_desc_index", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_AXIS_NAME_GET, ("sensor_id", 0), ("axis_desc_index", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(SensorMessageId.SENSOR_AXIS_NAME_GET, ("sensor_id", 7), ("axis_desc_index", 0)));
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
