using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests.Host;

/// <summary>
/// Performance, clock, voltage, power and powercap domains on host trees: what the host reports
/// is what agents read; a change reaches the host only with control = true, and is DENIED otherwise.
/// </summary>
public sealed class HostBackendTests : IDisposable
{
    private const string Policy = "devices/system/cpu/cpufreq/policy0";
    private readonly FakeSysfs _sys = new();

    public HostBackendTests()
    {
        _sys.Set($"{Policy}/scaling_available_frequencies", "600000 1200000 1800000");
        _sys.Set($"{Policy}/scaling_cur_freq", "1200000");
        _sys.Set($"{Policy}/scaling_min_freq", "600000");
        _sys.Set($"{Policy}/scaling_max_freq", "1800000");
        _sys.Set($"{Policy}/scaling_governor", "schedutil");
        _sys.Set($"{Policy}/scaling_setspeed", "<unsupported>");
        _sys.Set("kernel/debug/clk/uart_clk/clk_rate", "48000000");
        _sys.Set("kernel/debug/clk/uart_clk/clk_enable_count", "1");
        _sys.Set("kernel/debug/clk/uart_clk/clk_parent", "osc");
        _sys.Set("class/regulator/regulator.3/name", "vdd_cpu");
        _sys.Set("class/regulator/regulator.3/microvolts", "900000");
        _sys.Set("class/regulator/regulator.3/state", "enabled");
        _sys.Set("devices/platform/consumer/state", "disabled");
        _sys.Set("devices/platform/gpu/power/runtime_status", "suspended");
        _sys.Set("devices/platform/gpu/power/control", "auto");
        _sys.Set("class/powercap/arm-scmi:0/name", "cpu");
        _sys.Set("class/powercap/arm-scmi:0/constraint_0_power_limit_uw", "1500000");
        _sys.Set("class/powercap/arm-scmi:0/constraint_0_time_window_us", "10000");
        _sys.Set("class/powercap/arm-scmi:0/power_uw", "734000");
    }

    public void Dispose() => _sys.Dispose();

    private Harness Serve(bool control)
    {
        var c = control ? "control = true" : "";
        var model = ModelLoader.Load(_sys.Model($$"""
            [[perf]]
            name = "cpu0"
            sustained_freq_khz = 1800000
            sustained_level = 1800000
            backend = { kind = "cpufreq", policy = "policy0" }
            {{c}}
            opps = [ { level = 600000, power_mw = 60 }, { level = 1200000, power_mw = 120 }, { level = 1800000, power_mw = 180 } ]

            [[clock]]
            name = "osc"
            rates = [24000000]

            [[clock]]
            name = "uart_clk"
            rates = [24000000, 48000000]
            parents = ["osc"]
            backend = { kind = "clk", clock = "uart_clk" }
            {{c}}

            [[voltage_domain]]
            name = "vdd_cpu"
            levels_uv = [800000, 900000, 1000000]
            backend = { kind = "regulator", regulator = "vdd_cpu", consumer = "devices/platform/consumer" }
            {{c}}

            [[power_domain]]
            name = "gpu"
            backend = { kind = "runtime_pm", device = "devices/platform/gpu" }
            {{c}}

            [[powercap]]
            name = "cpu_cap"
            min_cap_mw = 500
            max_cap_mw = 3000
            cap_step_mw = 100
            min_pai_us = 1000
            max_pai_us = 100000
            pai_step_us = 1000
            pai_us = 10000
            backend = { kind = "powercap", zone = "arm-scmi:0" }
            {{c}}
            """), "host.toml");
        var h = new Harness(model);
        h.Platform.RefreshHost(force: true);
        return h;
    }

    [Fact]
    public void Agents_read_what_the_host_reports()
    {
        var h = Serve(control: false);
        Assert.Equal(1200000ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
        Assert.Equal(48000000ul, h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1)).GetUInt64("rate"));
        Assert.Equal(1ul, h.Ok(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 1), ("extended_config_type", 0)).GetUInt64("enabled"));
        Assert.Equal(0ul, h.Ok(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 1)).GetUInt64("parent_id"));
        Assert.Equal(900000, h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 0)).GetInt64("voltage_level_uv"));
        Assert.Equal(1ul, h.Ok(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)).GetUInt64("state_type"));   // off: suspended
        Assert.Equal(1500ul, h.Ok(PowercapMessageId.POWERCAP_CAP_GET, ("domain_id", 0)).GetUInt64("power_cap"));
        Assert.Equal(734ul, h.Ok(PowercapMessageId.POWERCAP_MEASUREMENTS_GET, ("domain_id", 0)).GetUInt64("power"));

        // The host moves: the next poll brings it in.
        _sys.Set($"{Policy}/scaling_cur_freq", "1790000");
        _sys.Set("kernel/debug/clk/uart_clk/clk_rate", "24000000");
        _sys.Set("kernel/debug/clk/uart_clk/clk_enable_count", "0");
        _sys.Set("class/regulator/regulator.3/microvolts", "1000000");
        _sys.Set("devices/platform/gpu/power/runtime_status", "active");
        _sys.Set($"{Policy}/scaling_max_freq", "1200000");
        h.Platform.RefreshHost(force: true);
        Assert.Equal(1800000ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level")); // the nearest OPP
        Assert.Equal(1200000ul, h.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 0)).GetUInt64("range_max"));
        Assert.Equal(24000000ul, h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1)).GetUInt64("rate"));
        Assert.Equal(0ul, h.Ok(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 1), ("extended_config_type", 0)).GetUInt64("enabled"));
        Assert.Equal(1000000, h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 0)).GetInt64("voltage_level_uv"));
        Assert.Equal(0ul, h.Ok(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)).GetUInt64("state_type"));
    }

    [Fact]
    public void Without_control_every_change_is_denied_and_nothing_is_written()
    {
        var h = Serve(control: false);
        var before = _sys.Snapshot();
        Assert.Equal(ScmiStatus.DENIED, h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 600000)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 0), ("range_max", 1200000), ("range_min", 600000)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 1), ("rate", 24000000ul)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 1), ("state", 0), ("extended_config_type", 0), ("extended_config_val", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(ClockMessageId.CLOCK_PARENT_SET, ("clock_id", 1), ("parent_id", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 0), ("voltage_level_uv", 800000)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(VoltageMessageId.VOLTAGE_CONFIG_SET, ("domain_id", 0), ("mode", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 1000)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PowercapMessageId.POWERCAP_PAI_SET, ("domain_id", 0), ("pai", 2000)));
        Assert.Equal(before, _sys.Snapshot());
        // And the platform says so before anyone tries.
        var perf = h.Ok(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, ("domain_id", 0));
        Assert.Equal((0ul, 0ul), (perf.GetUInt64("set_limits"), perf.GetUInt64("set_level")));
        var permissions = h.Ok(ClockMessageId.CLOCK_GET_PERMISSIONS, ("clock_id", 1));
        Assert.Equal((0ul, 0ul, 0ul), (permissions.GetUInt64("state_control"), permissions.GetUInt64("parent_control"), permissions.GetUInt64("rate_control")));
        var cap = h.Ok(PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, ("domain_id", 0));
        Assert.Equal((0ul, 0ul, 1ul), (cap.GetUInt64("cap_configurable"), cap.GetUInt64("pai_configurable"), cap.GetUInt64("monitoring")));
    }

    [Fact]
    public void A_level_the_host_policy_runs_at_already_is_still_pinned_through_the_userspace_governor()
    {
        var h = Serve(control: true);
        // The host reports 1200000 under schedutil: the platform's level is that already.
        Assert.Equal(1200000ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
        h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1200000));
        Assert.Equal(("userspace", "1200000"), (_sys.Get($"{Policy}/scaling_governor"), _sys.Get($"{Policy}/scaling_setspeed")));
    }

    [Fact]
    public void With_control_changes_are_written_to_the_host()
    {
        var h = Serve(control: true);
        h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1800000));
        Assert.Equal(("userspace", "1800000"), (_sys.Get($"{Policy}/scaling_governor"), _sys.Get($"{Policy}/scaling_setspeed")));
        h.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 0), ("range_max", 1200000), ("range_min", 1200000));
        Assert.Equal(("1200000", "1200000"), (_sys.Get($"{Policy}/scaling_min_freq"), _sys.Get($"{Policy}/scaling_max_freq")));
        h.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 1), ("rate", 24000000ul));
        Assert.Equal("24000000", _sys.Get("kernel/debug/clk/uart_clk/clk_rate"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 1), ("state", 0), ("extended_config_type", 0), ("extended_config_val", 0)));
        h.Ok(VoltageMessageId.VOLTAGE_CONFIG_SET, ("domain_id", 0), ("mode", 7));
        Assert.Equal("enabled", _sys.Get("devices/platform/consumer/state"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 0), ("voltage_level_uv", 800000)));
        h.Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 0));
        Assert.Equal("on", _sys.Get("devices/platform/gpu/power/control"));
        h.Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 1));
        Assert.Equal("auto", _sys.Get("devices/platform/gpu/power/control"));
        h.Ok(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 1000));
        Assert.Equal("1000000", _sys.Get("class/powercap/arm-scmi:0/constraint_0_power_limit_uw"));
        h.Ok(PowercapMessageId.POWERCAP_PAI_SET, ("domain_id", 0), ("pai", 2000));
        Assert.Equal("2000", _sys.Get("class/powercap/arm-scmi:0/constraint_0_time_window_us"));
    }

    [Fact]
    public void A_failed_host_write_is_the_answer_and_changes_nothing()
    {
        var h = Serve(control: true);
        _sys.Delete(Policy);
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 600000)));
        Assert.Equal(1200000ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
        // An attribute that cannot be opened for writing (kernfs answers EACCES for one without a
        // store method; a directory's EISDIR reaches .NET as the same UnauthorizedAccessException).
        _sys.Delete("devices/platform/gpu/power/control");
        Directory.CreateDirectory(Path.Combine(_sys.Root, "devices/platform/gpu/power/control"));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 0)));
        Assert.Equal(1ul, h.Ok(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)).GetUInt64("state_type"));
    }

    [Fact]
    public void Permission_errors_are_denied_and_other_errors_hardware_errors()
    {
        Assert.Equal(ScmiStatus.DENIED, Vscmi.Platform.Host.HostFiles.StatusOf(new UnauthorizedAccessException()));
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, Vscmi.Platform.Host.HostFiles.StatusOf(new IOException("EIO")));
        Assert.Equal(ScmiStatus.HARDWARE_ERROR, Vscmi.Platform.Host.HostFiles.StatusOf(new FileNotFoundException()));
    }

    [Fact]
    public void Each_failing_path_is_logged_once_until_it_works_again()
    {
        var log = new ListLogger();
        var files = new Vscmi.Platform.Host.HostFiles(log);
        var path = Path.Combine(_sys.Root, "class/hwmon/hwmon0/temp1_input");
        for (var i = 0; i < 5; i++)
            Assert.Equal(ScmiStatus.HARDWARE_ERROR, files.TryReadInteger(path, out _));
        Assert.Single(log.Lines, l => l.Contains(path, StringComparison.Ordinal));
        _sys.Set("class/hwmon/hwmon0/temp1_input", "1");
        Assert.Equal(ScmiStatus.SUCCESS, files.TryReadInteger(path, out var v));
        Assert.Equal(1, v);
        Assert.Contains(log.Lines, l => l.Contains("works again", StringComparison.Ordinal));
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
