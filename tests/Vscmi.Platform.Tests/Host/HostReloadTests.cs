using Vscmi.Platform.Injection;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests.Host;

/// <summary>A live reload sees host backends: control granted or taken away, another sysfs, a host sensor under an injected value; axis counts are fixed.</summary>
public sealed class HostReloadTests : IDisposable
{
    private readonly FakeSysfs _sys = new();

    public HostReloadTests()
    {
        _sys.Set("devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "600000");
        _sys.Set("devices/system/cpu/cpufreq/policy0/scaling_governor", "userspace");
        _sys.Set("devices/system/cpu/cpufreq/policy0/scaling_setspeed", "600000");
    }

    public void Dispose() => _sys.Dispose();

    /// <summary>A cpufreq-backed performance domain (with control or not) and <paramref name="sensors"/>.</summary>
    private DeviceModel Model(bool control, string sensors) => ModelLoader.Load(_sys.Model($$"""
        [[perf]]
        name = "cpu"
        sustained_freq_khz = 1200000
        sustained_level = 1200000
        backend = { kind = "cpufreq", policy = "policy0" }
        control = {{(control ? "true" : "false")}}
        opps = [ { level = 600000 }, { level = 1200000 } ]

        {{sensors}}
        """), "host.toml");

    private DeviceModel Model(bool control, int axes = 2) => Model(control, $$"""
        [[sensor]]
        name = "gyro"
        type = "radians_per_s"
        axes = [ {{string.Join(", ", Enumerable.Range(0, axes).Select(i => $"{{ name = \"a{i}\", source = {{ kind = \"constant\", value = {i} }} }}"))}} ]
        """);

    [Fact]
    public void Control_granted_by_a_reload_takes_effect_for_a_connected_agent()
    {
        var h = new Harness(Model(control: false));
        h.Platform.RefreshHost(force: true);
        Assert.Equal(ScmiStatus.DENIED, h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1200000)));
        var changes = h.Platform.Reload(Model(control: true));
        Assert.Null(changes.Refusal);
        Assert.Contains(changes.Changes, c => c.Contains("backend", StringComparison.Ordinal) && c.Contains("(control)", StringComparison.Ordinal));
        h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1200000));
        Assert.Equal("1200000", _sys.Get("devices/system/cpu/cpufreq/policy0/scaling_setspeed"));
        Assert.NotNull(h.Platform.Reload(Model(control: true, axes: 3)).Refusal);   // agents hold the axis descriptors
    }

    [Fact]
    public void A_host_sensor_under_an_injected_value_is_read_again_after_a_reload_and_the_injections_end()
    {
        _sys.Hwmon(0, "chip", ("temp1_input", "40000"));
        DeviceModel WithHwmon(bool control) => Model(control, """
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            """);
        var h = new Harness(WithHwmon(control: false));
        h.Platform.RefreshHost(force: true);
        long Read() => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0u), ("async", 0u)).GetRecords("readings")[0].GetInt64("value");
        Assert.Equal(40000, Read());
        var id = h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 0, Value = 95000 });

        // The sensor is described as before: the reload keeps its host source, which must still be
        // among those the host backends read (the injected value on top of it hid it once).
        var changes = h.Platform.Reload(WithHwmon(control: true));
        Assert.Null(changes.Refusal);
        Assert.DoesNotContain(changes.Changes, c => c.StartsWith("sensor", StringComparison.Ordinal));
        Assert.Equal(95000, Read());
        _sys.Set("class/hwmon/hwmon0/temp1_input", "52000");
        Assert.True(h.Platform.Faults.Remove(id));

        // The reload refreshes the host in the background too: a refresh of ours may be skipped while
        // it runs, and it may catch the file mid-write (a hardware error until the next refresh).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0u), ("async", 0u)) != ScmiStatus.SUCCESS || Read() != 52000) && DateTime.UtcNow < deadline)
        {
            h.Platform.RefreshHost(force: true);
            Thread.Sleep(20);
        }

        Assert.Equal(52000, Read());
    }
}
