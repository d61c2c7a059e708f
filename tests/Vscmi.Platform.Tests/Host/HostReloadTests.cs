using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests.Host;

/// <summary>A live reload sees host backends: control granted or taken away, another sysfs; axis counts are fixed.</summary>
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

    private DeviceModel Model(bool control, int axes = 2) => ModelLoader.Load(_sys.Model($$"""
        [[perf]]
        name = "cpu"
        sustained_freq_khz = 1200000
        sustained_level = 1200000
        backend = { kind = "cpufreq", policy = "policy0" }
        control = {{(control ? "true" : "false")}}
        opps = [ { level = 600000 }, { level = 1200000 } ]

        [[sensor]]
        name = "gyro"
        type = "radians_per_s"
        axes = [ {{string.Join(", ", Enumerable.Range(0, axes).Select(i => $"{{ name = \"a{i}\", source = {{ kind = \"constant\", value = {i} }} }}"))}} ]
        """), "host.toml");

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
}
