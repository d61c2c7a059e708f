using System.Text.Json;

namespace Vscmi.Integration.Tests;

/// <summary>Each client command as a separate process against <c>./vscmi serve</c> in another: table and --json.</summary>
public sealed class ClientCommandTests : IAsyncLifetime
{
    // One daemon per test: the tests change the platform's state, and none may see another's.
    private readonly ServeProcess _serve = new();

    public Task InitializeAsync() => _serve.InitializeAsync();

    public Task DisposeAsync() => _serve.DisposeAsync();

    private (int Exit, string Stdout, string Stderr) Run(params string[] args) =>
        CliProcess.Run([.. args, "--connect", "unix:" + _serve.OspmSocket]);

    private JsonElement Json(params string[] args)
    {
        var (exit, stdout, stderr) = Run([.. args, "--json"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    [Fact]
    public void Info()
    {
        var (exit, stdout, stderr) = Run("info");
        Assert.True(exit == 0, stderr);
        Assert.Contains("vscmi / virt-soc", stdout, StringComparison.Ordinal);
        Assert.Contains("OSPM (1)", stdout, StringComparison.Ordinal);
        Assert.Contains("CLOCK", stdout, StringComparison.Ordinal);
        var json = Json("info");
        Assert.Equal("vscmi", json.GetProperty("vendor").GetString());
        Assert.Equal(10, json.GetProperty("protocols").GetArrayLength()); // nine standard and vscmi's vendor protocol (OSPM is trusted)
        Assert.Equal("3.2", json.GetProperty("scmi_release").GetString());
        Assert.Equal("4.0", json.GetProperty("protocols").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "PERF").GetProperty("version").GetString());
        Assert.Equal(4, json.GetProperty("agents").GetArrayLength()); // the platform and three agents
    }

    [Fact]
    public void Clocks_and_clock_setters()
    {
        var (exit, stdout, _) = Run("clocks");
        Assert.Equal(0, exit);
        Assert.Contains("osc24m", stdout, StringComparison.Ordinal);
        Assert.Contains("24 MHz", stdout, StringComparison.Ordinal);

        (exit, stdout, _) = Run("clock", "set-rate", "spi0", "20000000", "--round", "up");
        Assert.Equal(0, exit);
        Assert.Equal("clock 5: 25000000 Hz", stdout.Trim());
        Assert.Equal("clock 5: enabled", Run("clock", "enable", "5").Stdout.Trim());
        var spi = Json("clocks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "spi0");
        Assert.Equal(25000000ul, spi.GetProperty("rate_hz").GetUInt64());
        Assert.True(spi.GetProperty("enabled").GetBoolean());
        Assert.Equal("clock 5: disabled", Run("clock", "disable", "spi0").Stdout.Trim());

        var (badExit, _, stderr) = Run("clock", "set-rate", "spi0", "1", "--round", "down");
        Assert.Equal(1, badExit);
        Assert.Contains("CLOCK_RATE_SET: OUT_OF_RANGE", stderr, StringComparison.Ordinal);
        (badExit, _, stderr) = Run("clock", "enable", "nosuchclock");
        Assert.Equal(2, badExit);
        Assert.Contains("no resource named 'nosuchclock'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sensors_with_readings()
    {
        var (exit, stdout, _) = Run("sensors");
        Assert.Equal(0, exit);
        Assert.Contains("vdd_cpu_volt", stdout, StringComparison.Ordinal);
        Assert.Contains("0.9 volts", stdout, StringComparison.Ordinal);
        var volt = Json("sensors").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "vdd_cpu_volt");
        Assert.Equal(900, volt.GetProperty("value").GetInt64());
        Assert.Equal("volts", volt.GetProperty("unit").GetString());
    }

    [Fact]
    public void Perf_and_its_setters()
    {
        Assert.Equal("perf domain 0: level 800", Run("perf", "set-level", "little", "800").Stdout.Trim());
        Assert.Equal("perf domain 0: limits 800..1500, level 800", Run("perf", "set-limits", "0", "800", "1500").Stdout.Trim());
        var little = Json("perf")[0];
        Assert.Equal((800u, 1500u, 800u), (little.GetProperty("range_min").GetUInt32(), little.GetProperty("range_max").GetUInt32(), little.GetProperty("level").GetUInt32()));
        Assert.Equal(5, little.GetProperty("levels").GetArrayLength());
        Assert.Contains("little", Run("perf").Stdout, StringComparison.Ordinal);
        Run("perf", "set-limits", "0", "500", "1800");
    }

    [Fact]
    public void Power_and_its_setter()
    {
        Assert.Equal("power domain 3: off", Run("power", "set-state", "usb", "off").Stdout.Trim());
        Assert.Equal("off", Json("power").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "usb").GetProperty("state").GetString());
        Assert.Equal("power domain 3: on", Run("power", "set-state", "3", "on").Stdout.Trim());
        Assert.Contains("usb", Run("power").Stdout, StringComparison.Ordinal);
        var (exit, _, stderr) = Run("power", "set-state", "usb", "dim");
        Assert.Equal(2, exit);
        Assert.Contains("'dim' is not on or off", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Resets_and_reset()
    {
        Assert.Contains("eth", Run("resets").Stdout, StringComparison.Ordinal);
        Assert.Equal(100u, Json("resets")[0].GetProperty("latency_us").GetUInt32());
        Assert.Equal("reset domain 1: reset", Run("reset", "usb").Stdout.Trim());
        Assert.Equal("reset domain 1: asserted", Run("reset", "usb", "--assert").Stdout.Trim());
        Assert.Equal("reset domain 1: deasserted", Run("reset", "1", "--deassert").Stdout.Trim());
    }

    [Fact]
    public void Voltages_and_voltage_setters()
    {
        Assert.Equal("voltage domain 2: 3300000 uV", Run("voltage", "set-level", "vdd_io", "3300000").Stdout.Trim());
        Assert.Equal("voltage domain 2: off", Run("voltage", "set-config", "vdd_io", "off").Stdout.Trim());
        var io = Json("voltages").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "vdd_io");
        Assert.Equal((3300000, "off"), (io.GetProperty("level_uv").GetInt32(), io.GetProperty("mode").GetString()));
        Assert.Contains("3.3 V", Run("voltages").Stdout, StringComparison.Ordinal);
        Run("voltage", "set-config", "vdd_io", "on");
    }

    [Fact]
    public void Powercap_and_its_setter()
    {
        Assert.Contains("big_cluster", Run("powercap").Stdout, StringComparison.Ordinal);
        Assert.Equal("powercap domain 0: cap 1000", Run("powercap", "set-cap", "0", "1000").Stdout.Trim());
        var domain = Json("powercap")[0];
        Assert.Equal((1000u, 250u, 2000u), (domain.GetProperty("cap").GetUInt32(), domain.GetProperty("min_cap").GetUInt32(), domain.GetProperty("max_cap").GetUInt32()));
        var (exit, _, stderr) = Run("powercap", "set-cap", "0", "1001");
        Assert.Equal(1, exit);
        Assert.Contains("POWERCAP_CAP_SET: OUT_OF_RANGE", stderr, StringComparison.Ordinal);
        Run("powercap", "set-cap", "0", "0");
    }

    [Fact]
    public void Pins()
    {
        var (exit, stdout, stderr) = Run("pins");
        Assert.True(exit == 0, stderr);
        Assert.Contains("uart0_grp", stdout, StringComparison.Ordinal);
        var rows = Json("pins").EnumerateArray().ToList();
        Assert.Equal(8 + 3 + 4, rows.Count);
        Assert.Equal(("function", "gpio"), (rows[^1].GetProperty("kind").GetString(), rows[^1].GetProperty("name").GetString()));
    }

    [Fact]
    public void System_requests_need_confirmation()
    {
        var (exit, _, stderr) = Run("system", "reboot");
        Assert.Equal(2, exit);
        Assert.Contains("--yes", stderr, StringComparison.Ordinal);
        Assert.Equal("system shutdown requested", Run("system", "shutdown", "--yes").Stdout.Trim());
    }

    [Fact]
    public void Watch_prints_snapshots_when_not_a_terminal()
    {
        var (exit, stdout, stderr) = Run("watch", "--count", "2", "--interval", "100");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, stdout.Split("vscmi watch").Length - 1);
        Assert.Contains("sensor cpu_temp", stdout, StringComparison.Ordinal);
        Assert.Contains("perf big", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_connection_names_the_socket()
    {
        var (exit, _, stderr) = CliProcess.Run("clocks", "--connect", "unix:/tmp/vscmi-nothing-here.sock");
        Assert.Equal(1, exit);
        Assert.Contains("cannot connect to unix:/tmp/vscmi-nothing-here.sock", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = CliProcess.Run("clocks", "--connect", "tcp:127.0.0.1:1");
        Assert.Equal(1, exit);
        Assert.Contains("nothing listens on that port", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Linux_raw_without_the_kernel_interface_says_what_is_missing()
    {
        // This machine is not an SCMI agent; the real raw interface is used in the e2e guest.
        var (exit, _, stderr) = CliProcess.Run("info", "--connect", "linux-raw:/tmp");
        Assert.Equal(1, exit);
        Assert.Contains("/tmp/message does not exist: not a raw directory", stderr, StringComparison.Ordinal);
        if (!Directory.Exists("/sys/kernel/debug/scmi"))
        {
            (exit, _, stderr) = CliProcess.Run("info", "--connect", "linux-raw:3");
            Assert.Equal(1, exit);
            Assert.Contains("error: linux-raw: /sys/kernel/debug/scmi does not exist", stderr, StringComparison.Ordinal);
        }
    }
}
