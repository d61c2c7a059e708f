using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests.Host;

/// <summary>Sensors read from hwmon, thermal, IIO and powercap trees laid out as the kernel's ABI documents them.</summary>
public sealed class HostSensorTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public void Dispose() => _sys.Dispose();

    private Harness Serve(string resources)
    {
        var h = new Harness(ModelLoader.Load(_sys.Model(resources), "host.toml"));
        h.Platform.RefreshHost(force: true);
        return h;
    }

    private static long Read(Harness h, uint id) =>
        h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", id), ("async", 0)).GetRecords("readings")[0].GetInt64("value");

    private static ScmiStatus ReadStatus(Harness h, uint id) =>
        h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", id), ("async", 0));

    [Fact]
    public void Hwmon_channels_map_their_units_and_exponents()
    {
        // Two chips; the wanted one is hwmon10, found by its name, not its number.
        _sys.Hwmon(2, "other", ("temp1_input", "1000"));
        _sys.Hwmon(10, "scmi_sensors", ("temp1_input", "45500"), ("in0_input", "905"), ("curr1_input", "1250"),
            ("power1_input", "2500000"), ("energy1_input", "123456789"), ("fan1_input", "3200"), ("humidity1_input", "41500"));
        var h = Serve("""
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "temp1" }
            [[sensor]]
            name = "v"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "in0" }
            [[sensor]]
            name = "i"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "curr1" }
            [[sensor]]
            name = "p"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "power1" }
            [[sensor]]
            name = "e"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "energy1" }
            [[sensor]]
            name = "fan"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "fan1" }
            [[sensor]]
            name = "rh"
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "humidity1" }
            [[sensor]]
            name = "t_c"
            unit_exponent = 0     # whole degrees: the millidegrees are scaled
            source = { kind = "hwmon", chip = "scmi_sensors", channel = "temp1" }
            """);
        Assert.Equal([45500, 905, 1250, 2500000, 123456789, 3200, 41500, 46], Enumerable.Range(0, 8).Select(i => Read(h, (uint)i)));
        var descriptors = Enumerable.Range(0, 8).Select(i => h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", i)).GetRecords("descriptors")[0]).ToList();
        string[] units = ["degrees_c", "volts", "amps", "watts", "joules", "rpm", "percentage", "degrees_c"];
        long[] exponents = [-3, -3, -3, -6, -6, 0, -3, 0];
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(units[i], ScmiCatalog.SensorUnits.NameOf(descriptors[i].GetUInt64("sensor_type")));
            Assert.Equal(exponents[i], descriptors[i].GetInt64("unit_exponent"));
        }
    }

    [Fact]
    public void Readings_come_from_the_cache_until_the_update_interval_passes()
    {
        var time = new ManualTime();
        _sys.Hwmon(0, "chip", ("temp1_input", "40000"));
        var h = new Harness(ModelLoader.Load(_sys.Model("""
            [[sensor]]
            name = "t"
            update_interval_s = 5
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            """), "host.toml"), time: time);
        h.Platform.RefreshHost(force: true);
        _sys.Set("class/hwmon/hwmon0/temp1_input", "41000");
        Assert.Equal(40000, Read(h, 0));        // no host read on the command path
        time.Advance(TimeSpan.FromSeconds(2));
        h.Platform.RefreshHost();
        Assert.Equal(40000, Read(h, 0));        // within the 5 s interval
        time.Advance(TimeSpan.FromSeconds(4));
        h.Platform.RefreshHost();
        Assert.Equal(41000, Read(h, 0));
    }

    [Fact]
    public void A_vanished_chip_or_channel_is_a_hardware_error_until_it_comes_back()
    {
        _sys.Hwmon(0, "chip", ("temp1_input", "40000"), ("temp2_input", "50000"));
        var h = Serve("""
            [[sensor]]
            name = "t1"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            [[sensor]]
            name = "t2"
            source = { kind = "hwmon", chip = "chip", channel = "temp2" }
            [[sensor]]
            name = "t3"
            source = { kind = "hwmon", chip = "absent", channel = "temp1" }
            """);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, ReadStatus(h, 2));
        _sys.Delete("class/hwmon/hwmon0/temp2_input");
        h.Platform.RefreshHost(force: true);
        Assert.Equal((40000L, ScmiStatus.HARDWARE_ERROR), (Read(h, 0), ReadStatus(h, 1)));
        _sys.Delete("class/hwmon/hwmon0");
        h.Platform.RefreshHost(force: true);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, ReadStatus(h, 0));
        _sys.Hwmon(3, "chip", ("temp1_input", "39000"));    // the driver came back as another hwmonN
        h.Platform.RefreshHost(force: true);
        Assert.Equal(39000, Read(h, 0));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("99999999999999999999999")]
    [InlineData("-")]
    public void An_unreadable_value_is_a_hardware_error(string content)
    {
        _sys.Hwmon(0, "chip", ("temp1_input", content));
        var h = Serve("""
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            """);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, ReadStatus(h, 0));
    }

    [Fact]
    public void A_directory_where_a_file_should_be_is_a_hardware_error()
    {
        _sys.Hwmon(0, "chip");
        Directory.CreateDirectory(Path.Combine(_sys.Root, "class/hwmon/hwmon0/temp1_input"));
        var h = Serve("""
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            """);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, ReadStatus(h, 0));
    }

    [Fact]
    public void Thermal_zones_are_found_by_type()
    {
        _sys.Set("class/thermal/thermal_zone0/type", "soc-thermal");
        _sys.Set("class/thermal/thermal_zone0/temp", "38000");
        _sys.Set("class/thermal/thermal_zone1/type", "cpu-thermal");
        _sys.Set("class/thermal/thermal_zone1/temp", "61250");
        var h = Serve("""
            [[sensor]]
            name = "cpu"
            trip_points = 1
            source = { kind = "thermal", zone = "cpu-thermal" }
            [[sensor]]
            name = "zone0"
            source = { kind = "thermal", zone = "thermal_zone0" }
            """);
        Assert.Equal((61250L, 38000L), (Read(h, 0), Read(h, 1)));
    }

    [Fact]
    public void Iio_channels_scale_and_offset_raw_values_or_take_the_processed_input()
    {
        var dev = "bus/iio/devices/iio:device0";
        _sys.Set($"{dev}/name", "adc");
        _sys.Set($"{dev}/in_voltage0_raw", "1000");
        _sys.Set($"{dev}/in_voltage0_scale", "0.805664062");   // mV per count
        _sys.Set($"{dev}/in_temp_raw", "300");
        _sys.Set($"{dev}/in_temp_offset", "-50");
        _sys.Set($"{dev}/in_temp_scale", "100");              // millidegrees per count
        _sys.Set("bus/iio/devices/iio:device1/name", "accel");
        _sys.Set("bus/iio/devices/iio:device1/in_accel_x_raw", "-512");
        _sys.Set("bus/iio/devices/iio:device1/in_accel_scale", "0.019154");   // m/s² per count, shared by x/y/z
        _sys.Set("bus/iio/devices/iio:device1/in_illuminance_input", "312.5");
        var h = Serve("""
            [[sensor]]
            name = "vin"
            source = { kind = "iio", device = "adc", channel = "in_voltage0" }
            [[sensor]]
            name = "die"
            source = { kind = "iio", device = "adc", channel = "in_temp" }
            [[sensor]]
            name = "ax"
            source = { kind = "iio", device = "accel", channel = "in_accel_x" }
            [[sensor]]
            name = "lux"
            source = { kind = "iio", device = "accel", channel = "in_illuminance" }
            """);
        Assert.Equal(806, Read(h, 0));                 // 805.66 mV
        Assert.Equal(25000, Read(h, 1));               // (300 - 50) × 100 m°C
        Assert.Equal(-9807, Read(h, 2));               // -9.807 m/s² in 10^-3
        Assert.Equal(313, Read(h, 3));
        var descriptors = h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors");
        Assert.Equal("m_per_s2", ScmiCatalog.SensorUnits.NameOf(descriptors[2].GetUInt64("sensor_type")));
        _sys.Delete($"{dev}/in_voltage0_scale");       // no scale at all: raw counts
        h.Platform.RefreshHost(force: true);
        Assert.Equal(1000, Read(h, 0));
    }

    [Fact]
    public void Powercap_energy_counts_in_microjoules()
    {
        _sys.Set("class/powercap/intel-rapl:0/name", "package-0");
        _sys.Set("class/powercap/intel-rapl:0/energy_uj", "987654321");
        var h = Serve("""
            [[sensor]]
            name = "pkg_energy"
            source = { kind = "powercap", zone = "intel-rapl:0" }
            [[sensor]]
            name = "by_name"
            source = { kind = "powercap", zone = "package-0" }
            """);
        Assert.Equal((987654321L, 987654321L), (Read(h, 0), Read(h, 1)));
    }

    [Fact]
    public void Random_bytes_in_every_attribute_never_crash_a_refresh()
    {
        var random = new Random(15);
        _sys.Hwmon(0, "chip", ("temp1_input", "1"));
        _sys.Set("bus/iio/devices/iio:device0/name", "adc");
        _sys.Set("bus/iio/devices/iio:device0/in_voltage0_raw", "1");
        _sys.Set("bus/iio/devices/iio:device0/in_voltage0_scale", "1");
        _sys.Set("class/thermal/thermal_zone0/type", "z");
        _sys.Set("class/thermal/thermal_zone0/temp", "1");
        var h = Serve("""
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            [[sensor]]
            name = "v"
            source = { kind = "iio", device = "adc", channel = "in_voltage0" }
            [[sensor]]
            name = "z"
            source = { kind = "thermal", zone = "z" }
            """);
        for (var round = 0; round < 50; round++)
        {
            foreach (var file in Directory.EnumerateFiles(_sys.Root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("name", StringComparison.Ordinal) && !f.EndsWith("type", StringComparison.Ordinal)))
            {
                var bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                File.WriteAllBytes(file, bytes);
            }

            h.Platform.RefreshHost(force: true);
            for (uint id = 0; id < 3; id++)
                Assert.True(ReadStatus(h, id) is ScmiStatus.SUCCESS or ScmiStatus.HARDWARE_ERROR);
        }
    }
}
