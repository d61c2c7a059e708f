using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Multi-axis sensors (sensor v2.0+): axis descriptors and names, one reading per axis, SENSOR_UPDATE with every axis.</summary>
public class MultiAxisSensorTests
{
    private const string Accelerometer = """
        [platform]
        vendor = "t"
        [[agent]]
        name = "a"
        [[sensor]]
        name = "temp"
        type = "temperature"
        source = { kind = "constant", value = 40 }
        [[sensor]]
        name = "accel"
        type = "m_per_s2"
        unit_exponent = -3
        axes = [
          { name = "x", source = { kind = "constant", value = 12 } },
          { name = "y", source = { kind = "constant", value = -34 } },
          { name = "z_axis_with_a_long_name", source = { kind = "constant", value = 9807 } },
        ]
        """;

    private readonly ManualTime _time = new();
    private readonly Harness _h;

    public MultiAxisSensorTests() => _h = new Harness(ModelLoader.Load(Accelerometer, "axes.toml"), time: _time);

    [Fact]
    public void The_descriptor_says_multi_axis_with_the_axis_count()
    {
        var scalar = _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors")[0];
        Assert.Equal((0ul, 0ul), (scalar.GetUInt64("multi_axis"), scalar.GetUInt64("num_axes")));
        var accel = _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 1)).GetRecords("descriptors")[0];
        Assert.Equal((1ul, 3ul, "m_per_s2"), (accel.GetUInt64("multi_axis"), accel.GetUInt64("num_axes"), ScmiCatalog.SensorUnits.NameOf(accel.GetUInt64("sensor_type"))));
        Assert.Equal(0ul, accel.GetUInt64("extended_attributes"));   // a multi-axis sensor is described in 28 bytes
    }

    [Fact]
    public void Axis_descriptions_and_names()
    {
        var reply = _h.Ok(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 1), ("axis_desc_index", 0));
        var axes = reply.GetRecords("axes");
        Assert.Equal(["x", "y", "z_axis_with_a_l"], axes.Select(a => a.GetText("name")));
        Assert.Equal([0ul, 1ul, 2ul], axes.Select(a => a.GetUInt64("axis_id")));
        Assert.Equal([0ul, 0ul, 1ul], axes.Select(a => a.GetUInt64("extended_name")));
        Assert.All(axes, a => Assert.Equal((-3L, "m_per_s2"), (a.GetInt64("unit_exponent"), ScmiCatalog.SensorUnits.NameOf(a.GetUInt64("axis_type")))));
        Assert.Equal(0ul, reply.GetUInt64("remaining"));
        var from2 = _h.Ok(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 1), ("axis_desc_index", 2)).GetRecords("axes");
        Assert.Equal(2ul, Assert.Single(from2).GetUInt64("axis_id"));
        var name = _h.Ok(SensorMessageId.SENSOR_AXIS_NAME_GET, ("sensor_id", 1), ("axis_desc_index", 2)).GetRecords("axes");
        Assert.Equal("z_axis_with_a_long_name", Assert.Single(name).GetText("name"));

        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 1), ("axis_desc_index", 3)));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(SensorMessageId.SENSOR_AXIS_NAME_GET, ("sensor_id", 1), ("axis_desc_index", 3)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 0), ("axis_desc_index", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_AXIS_NAME_GET, ("sensor_id", 0), ("axis_desc_index", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(SensorMessageId.SENSOR_AXIS_DESCRIPTION_GET, ("sensor_id", 2), ("axis_desc_index", 0)));
    }

    [Fact]
    public void A_reading_has_one_value_per_axis()
    {
        var readings = _h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 1), ("async", 0)).GetRecords("readings");
        Assert.Equal([12L, -34L, 9807L], readings.Select(r => r.GetInt64("value")));
        Assert.Single(_h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)).GetRecords("readings"));
    }

    [Fact]
    public void Continuous_updates_carry_every_axis_once_the_sensor_is_enabled()
    {
        // A multi-axis sensor starts disabled (it streams); Linux's IIO_SCMI subscribes at probe.
        Assert.Equal(0ul, _h.Ok(SensorMessageId.SENSOR_CONFIG_GET, ("sensor_id", 1)).GetUInt64("enabled"));
        Assert.Equal(1ul, _h.Ok(SensorMessageId.SENSOR_CONFIG_GET, ("sensor_id", 0)).GetUInt64("enabled"));
        _h.Ok(SensorMessageId.SENSOR_CONTINUOUS_UPDATE_NOTIFY, ("sensor_id", 1), ("notify_enable", 1));
        _time.Advance(TimeSpan.FromSeconds(1));
        _h.Platform.SampleSensors();
        Assert.False(_h.Session.Outbox.TryRead(out _));
        _h.Ok(SensorMessageId.SENSOR_CONFIG_SET, ("sensor_id", 1), ("enabled", 1));
        _time.Advance(TimeSpan.FromSeconds(1));
        _h.Platform.SampleSensors();
        Assert.True(_h.Session.Outbox.TryRead(out var message));
        var update = ScmiMessageCodec.Decode(message, ScmiMessageKind.Notification);
        Assert.Equal("SENSOR_UPDATE", update.Name);
        Assert.Equal([12L, -34L, 9807L], update.Fields.GetRecords("readings").Select(r => r.GetInt64("value")));
    }

    [Fact]
    public void Axes_can_read_an_iio_device_of_the_host()
    {
        using var sys = new Host.FakeSysfs();
        sys.Set("bus/iio/devices/iio:device0/name", "accel");
        sys.Set("bus/iio/devices/iio:device0/in_accel_scale", "0.001");
        sys.Set("bus/iio/devices/iio:device0/in_accel_x_raw", "100");
        sys.Set("bus/iio/devices/iio:device0/in_accel_y_raw", "-200");
        sys.Set("bus/iio/devices/iio:device0/in_accel_z_raw", "9807");
        var h = new Harness(ModelLoader.Load(sys.Model("""
            [[sensor]]
            name = "accel"
            axes = [
              { name = "x", source = { kind = "iio", device = "accel", channel = "in_accel_x" } },
              { name = "y", source = { kind = "iio", device = "accel", channel = "in_accel_y" } },
              { name = "z", source = { kind = "iio", device = "accel", channel = "in_accel_z" } },
            ]
            """), "host.toml"));
        h.Platform.RefreshHost(force: true);
        var readings = h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)).GetRecords("readings");
        Assert.Equal([100L, -200L, 9807L], readings.Select(r => r.GetInt64("value")));   // mm/s²: -3 by default for accel
        sys.Delete("bus/iio/devices/iio:device0/in_accel_y_raw");
        h.Platform.RefreshHost(force: true);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)));
    }

    [Theory]
    [InlineData("axes = []", "0 axes: 1 to 7 are allowed")]
    [InlineData("axes = [{ name = \"a\", source = { kind = \"constant\", value = 1 } }, { name = \"b\", source = { kind = \"constant\", value = 1 } }, { name = \"c\", source = { kind = \"constant\", value = 1 } }, { name = \"d\", source = { kind = \"constant\", value = 1 } }, { name = \"e\", source = { kind = \"constant\", value = 1 } }, { name = \"f\", source = { kind = \"constant\", value = 1 } }, { name = \"g\", source = { kind = \"constant\", value = 1 } }, { name = \"h\", source = { kind = \"constant\", value = 1 } }]", "8 axes")]
    [InlineData("axes = [{ name = \"x\", source = { kind = \"constant\", value = 1 } }, { name = \"x\", source = { kind = \"constant\", value = 2 } }]", "two axes of")]
    [InlineData("axes = [{ name = \"x\" }]", "needs 'source'")]
    [InlineData("axes = [3]", "must be a table")]
    [InlineData("axes = [{ name = \"x\", source = { kind = \"constant\", value = 1 }, colour = 2 }]", "unknown key 'colour'")]
    [InlineData("source = { kind = \"constant\", value = 1 }\naxes = [{ name = \"x\", source = { kind = \"constant\", value = 1 } }]", "each axis has its own 'source'")]
    [InlineData("trip_points = 1\naxes = [{ name = \"x\", source = { kind = \"constant\", value = 1 } }]", "trip points are for scalar sensors")]
    [InlineData("axes = [{ name = \"x\", source = { kind = \"constant\", value = 1 } }]\n[system_power]", "")]
    public void Axis_errors_name_the_line(string axes, string message)
    {
        var text = $"[platform]\nvendor = \"t\"\n[[agent]]\nname = \"a\"\n[[sensor]]\nname = \"s\"\ntype = \"m_per_s2\"\n{axes}\n";
        if (message.Length == 0)
        {
            ModelLoader.Load(text, "axes.toml");    // the control: a well-formed sensor with axes loads
            return;
        }

        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(text, "axes.toml"));
        Assert.StartsWith("axes.toml:", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scmi_2_0_has_no_axes()
    {
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load("scmi_release = \"2.0\"\n" + Accelerometer, "axes.toml"));
        Assert.Contains("sensor 'accel' has axes", e.Message, StringComparison.Ordinal);
    }
}
