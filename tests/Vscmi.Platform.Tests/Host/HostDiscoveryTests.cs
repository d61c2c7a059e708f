using Vscmi.Platform.Host;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests.Host;

/// <summary><c>vscmi config from-host</c>: the model it writes for a host tree loads, serves that host, and leaves out what SCMI cannot carry.</summary>
public sealed class HostDiscoveryTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public void Dispose() => _sys.Dispose();

    private HostModel Host => HostModel.Default.WithSysfs(_sys.Root);

    private void LayOutBoard()
    {
        _sys.Hwmon(0, "scmi_sensors", ("temp1_input", "45000"), ("temp1_label", "cpu_temp"), ("temp1_crit", "95000"), ("in0_input", "900"), ("in0_label", "vdd_cpu_volt"));
        _sys.Hwmon(1, "gpio_fan", ("fan1_input", "2400"));
        _sys.Set("class/thermal/thermal_zone0/type", "soc-thermal");
        _sys.Set("class/thermal/thermal_zone0/temp", "50000");
        _sys.Set("class/thermal/thermal_zone0/trip_point_0_temp", "85000");
        _sys.Set("bus/iio/devices/iio:device0/name", "accel");
        foreach (var axis in "xyz")
            _sys.Set($"bus/iio/devices/iio:device0/in_accel_{axis}_raw", "100");
        _sys.Set("bus/iio/devices/iio:device0/in_accel_scale", "0.01");
        _sys.Set("bus/iio/devices/iio:device0/sampling_frequency", "100");
        for (var p = 0; p < 2; p++)
        {
            var policy = $"devices/system/cpu/cpufreq/policy{p * 4}";
            _sys.Set($"{policy}/scaling_available_frequencies", p == 0 ? "408000 600000 816000 1008000 1200000 1416000" : "408000 1800000 2208000");
            _sys.Set($"{policy}/scaling_cur_freq", "408000");
            _sys.Set($"{policy}/related_cpus", p == 0 ? "0 1 2 3" : "4 5");
            _sys.Set($"{policy}/cpuinfo_transition_latency", "40000");
        }

        _sys.Set("devices/system/cpu/cpufreq/policy4/scaling_boost_frequencies", "2400000");

        // A policy with more frequencies than Linux's SCMI perf accepts.
        _sys.Set("devices/system/cpu/cpufreq/policy6/scaling_available_frequencies", string.Join(' ', Enumerable.Range(1, 40).Select(i => i * 50000)));
        _sys.Set("class/powercap/arm-scmi:0/name", "cluster0");
        _sys.Set("class/powercap/arm-scmi:0/constraint_0_power_limit_uw", "2000000");
        _sys.Set("class/powercap/arm-scmi:0/max_power_range_uw", "5000000");
        _sys.Set("class/powercap/arm-scmi:0/energy_uj", "12345");
        _sys.Set("class/powercap/arm-scmi/enabled", "1");   // the control type: not a zone
        _sys.Set("class/regulator/regulator.0/name", "regulator-dummy");
        _sys.Set("class/regulator/regulator.1/name", "vdd_gpu");
        _sys.Set("class/regulator/regulator.1/microvolts", "800000");
        _sys.Set("class/regulator/regulator.1/min_microvolts", "600000");
        _sys.Set("class/regulator/regulator.1/max_microvolts", "1100000");
        _sys.Set("class/regulator/regulator.1/state", "enabled");
        _sys.Set("kernel/debug/clk/osc24m/clk_rate", "24000000");
        _sys.Set("kernel/debug/clk/osc24m/clk_enable_count", "3");
        _sys.Set("kernel/debug/clk/uart0/clk_rate", "48000000");
        _sys.Set("kernel/debug/clk/uart0/clk_enable_count", "0");
        _sys.Set("kernel/debug/clk/uart0/clk_parent", "osc24m");
        _sys.Set("kernel/debug/clk/clk_summary", "not a clock");
    }

    [Fact]
    public void The_model_of_a_board_loads_and_serves_its_values()
    {
        LayOutBoard();
        var before = _sys.Snapshot();
        var text = HostDiscovery.Describe(Host, control: false);
        Assert.Equal(before, _sys.Snapshot());      // it only reads
        var model = ModelLoader.Load(text, "from-host.toml");
        Assert.Equal(["policy0", "policy4"], model.PerfDomains.Select(p => p.Name));
        Assert.Equal(6, model.PerfDomains[0].Opps.Count);
        Assert.Equal(1416000u, model.PerfDomains[0].SustainedFrequencyKhz);
        // A boost frequency is a level above the sustained one (Linux lists it apart).
        Assert.Equal([408000u, 1800000u, 2208000u, 2400000u], model.PerfDomains[1].Opps.Select(o => o.Level));
        Assert.Equal(2208000u, model.PerfDomains[1].SustainedLevel);
        Assert.Contains("--cpus policy0,policy0,policy0,policy0,policy4,policy4", text, StringComparison.Ordinal);
        Assert.Contains("policy6: left out: 40 frequencies", text, StringComparison.Ordinal);
        Assert.Equal(["vdd_cpu_volt", "cpu_temp", "gpio_fan_fan1", "soc-thermal", "accel_accel", "cluster0_energy"], model.Sensors.Select(s => s.Name));
        Assert.Equal(["accel_X", "accel_Y", "accel_Z"], model.Sensors[4].Axes.Select(a => a.Name));   // IIO_SCMI's modifiers   // x/y/z of one type: one sensor with axes
        Assert.Equal(1, model.Sensors[1].TripPoints);
        Assert.Equal("cluster0", Assert.Single(model.PowercapDomains).Name);
        Assert.Equal(5000u, model.PowercapDomains[0].MaxCap);
        Assert.Equal("vdd_gpu", Assert.Single(model.VoltageDomains).Name);
        Assert.Contains("regulator-dummy): left out", text, StringComparison.Ordinal);
        Assert.Equal(["osc24m", "uart0"], model.Clocks.Select(c => c.Name));
        Assert.Equal([0], model.Clocks[1].ParentIds);
        Assert.All(model.PerfDomains, p => Assert.False(p.Backend!.Control));
        Assert.Equal(HostModel.Default.WithSysfs(_sys.Root), model.Host);

        var h = new Harness(model);
        h.Platform.RefreshHost(force: true);
        Assert.Equal(45000, h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 1), ("async", 0)).GetRecords("readings")[0].GetInt64("value"));
        Assert.Equal([1000L, 1000L, 1000L], h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 4), ("async", 0)).GetRecords("readings").Select(r => r.GetInt64("value"))); // 1 m/s² in 10^-3 per axis
        Assert.Equal(408000ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level"));
        Assert.Equal(48000000ul, h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1)).GetUInt64("rate"));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1200000)));
    }

    [Fact]
    public void Control_marks_every_resource()
    {
        LayOutBoard();
        var model = ModelLoader.Load(HostDiscovery.Describe(Host, control: true), "from-host.toml");
        Assert.All(model.PerfDomains, p => Assert.True(p.Backend!.Control));
        Assert.All(model.Clocks, c => Assert.True(c.Backend!.Control));
        Assert.All(model.VoltageDomains, v => Assert.True(v.Backend!.Control));
        Assert.All(model.PowercapDomains, p => Assert.True(p.Backend!.Control));
    }

    [Fact]
    public void An_empty_host_gives_a_model_with_nothing_to_serve_that_still_loads()
    {
        var text = HostDiscovery.Describe(Host, control: false);
        Assert.StartsWith("# vscmi device model of this host's resources", text, StringComparison.Ordinal);
        Assert.Contains("\n# Found: nothing SCMI can serve", text, StringComparison.Ordinal);
        var model = ModelLoader.Load(text, "from-host.toml");
        Assert.Empty(model.Sensors);
    }

    [Fact]
    public void Odd_names_are_made_printable_unique_and_short_enough()
    {
        _sys.Hwmon(0, "chip", ("temp1_input", "1"), ("temp1_label", "same"), ("temp2_input", "2"), ("temp2_label", "same"),
            ("temp3_input", "3"), ("temp3_label", new string('x', 80)), ("temp4_input", "4"), ("temp4_label", "with \"quotes\" and spaces"));
        var model = ModelLoader.Load(HostDiscovery.Describe(Host, control: false), "from-host.toml");
        Assert.Equal(["same", "same_2", new string('x', 63), "with__quotes__and_spaces"], model.Sensors.Select(s => s.Name));
    }

    [Fact]
    public void Random_attribute_contents_still_give_a_model_that_loads()
    {
        LayOutBoard();
        var random = new Random(16);
        for (var round = 0; round < 20; round++)
        {
            foreach (var file in Directory.EnumerateFiles(_sys.Root, "*", SearchOption.AllDirectories))
            {
                var bytes = new byte[random.Next(0, 48)];
                random.NextBytes(bytes);
                if (random.Next(3) == 0)
                    File.WriteAllBytes(file, bytes);
            }

            ModelLoader.Load(HostDiscovery.Describe(Host, control: round % 2 == 0), "from-host.toml");
        }
    }
}
