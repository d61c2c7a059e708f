using System.Xml.Linq;

namespace Vscmi.Integration.Tests;

/// <summary>
/// <c>vscmi scenario run</c> and the injections added with it, against a running daemon as a driver
/// author runs them: a scenario whose agent behaves passes with JUnit XML written, one whose agent
/// does not fails with exit 3, bad files and unknown agents are refused by name, and each new
/// <c>vscmi inject</c> kind acts on the daemon.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScenarioRunTests
{
    private const uint ClockAttributes = 0x00005003;    // CLOCK (0x14) 0x03
    private const uint PerfNotifyLimits = 0x00004C09;   // PERF (0x13) 0x09
    private const uint SensorReadingGet = 0x00005406;   // SENSOR (0x15) 0x06
    private const uint Busy = unchecked((uint)-6);

    private static string Write(ServeProcess serve, string name, string text)
    {
        var path = serve.PathOf(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_scenario_whose_agent_retries_passes_every_expectation_and_writes_JUnit()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var scenario = Write(serve, "retry.toml", """
            description = "BUSY twice on CLOCK_ATTRIBUTES; limits from the platform"
            agent = "OSPM"
            duration = "3s"
            [[step]]
            at = "0s"
            inject = "status"
            status = "BUSY"
            message = "CLOCK_ATTRIBUTES"
            count = 2
            [[step]]
            at = "1s"
            event = "perf-limits"
            domain = "big"
            min = 800
            max = 1200
            [[expect]]
            kind = "answered"
            message = "CLOCK_ATTRIBUTES"
            status = "BUSY"
            at_least = 2
            at_most = 2
            [[expect]]
            name = "each BUSY is retried within 2 s"
            kind = "retries"
            message = "CLOCK_ATTRIBUTES"
            within = "2s"
            [[expect]]
            kind = "notified"
            notification = "PERFORMANCE_LIMITS_CHANGED"
            [[expect]]
            kind = "never_sends"
            message = "CLOCK_RATE_SET"
            [[expect]]
            kind = "no_token_reuse_in_flight"
            [[expect]]
            kind = "stays_connected"
            to = "2500ms"
            """);
        var junit = serve.PathOf("junit.xml");

        using var agent = serve.Connect(serve.PathOf("ospm.sock"));
        Assert.Equal(0u, agent.Call(PerfNotifyLimits, 1, 1)[1]);
        var run = Task.Run(() => CliProcess.Run("scenario", "run", scenario, "--control", serve.PathOf("control.sock"), "--junit", junit));
        // The agent: CLOCK_ATTRIBUTES every 50 ms, the same command again after BUSY, for 3.5 s.
        var busy = 0;
        var end = DateTime.UtcNow.AddSeconds(3.5);
        while (DateTime.UtcNow < end)
        {
            if (agent.Call(ClockAttributes, 2)[1] == Busy)
                busy++;
            await Task.Delay(50);
        }

        var (exit, stdout, stderr) = await run;
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal(2, busy);
        // 2 s, not 500 ms: the agent retries 50 ms later, but a full CI run once held this loop 850 ms.
        Assert.Contains("PASS  each BUSY is retried within 2 s: 2 of 2 BUSY answer(s) followed by the same command", stdout, StringComparison.Ordinal);
        Assert.Contains("limits of big now 800..1200; 1 channel(s) notified", stdout, StringComparison.Ordinal);
        Assert.Contains("scenario retry: 6 passed, 0 failed, 0 known agent defect(s)", stdout, StringComparison.Ordinal);
        var suite = Assert.Single(XDocument.Load(junit).Root!.Elements("testsuite"));
        Assert.Equal(("retry", "6", "0"), ((string)suite.Attribute("name")!, (string)suite.Attribute("tests")!, (string)suite.Attribute("failures")!));
        Assert.Contains("no fault injected", CliProcess.Run("inject", "list", "--control", serve.PathOf("control.sock")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scenario_whose_agent_misbehaves_fails_with_exit_3_and_a_known_defect_is_expected()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var scenario = Write(serve, "quiet.toml", """
            agent = "OSPM"
            duration = "1s"
            [[expect]]
            name = "the agent reads a sensor"
            kind = "sends"
            message = "SENSOR_READING_GET"
            [[expect]]
            name = "the agent sets a clock"
            kind = "sends"
            message = "CLOCK_RATE_SET"
            known_defect = "this agent never sets clocks"
            """);
        var (exit, stdout, _) = CliProcess.Run("scenario", "run", scenario, "--control", serve.PathOf("control.sock"));
        Assert.Equal(3, exit);
        Assert.Contains("FAIL  the agent reads a sensor: 0 sent in 0ms..", stdout, StringComparison.Ordinal);
        Assert.Contains("KNOWN the agent sets a clock", stdout, StringComparison.Ordinal);
        Assert.Contains("0 passed, 1 failed, 1 known agent defect(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_scenarios_and_unknown_agents_are_refused_by_name()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var bad = Write(serve, "bad.toml", "duration = \"1s\"\n[[step]]\nat = \"0s\"\ninject = \"wobble\"\n");
        var check = CliProcess.Run("scenario", "check", bad);
        Assert.Equal(2, check.ExitCode);
        Assert.Contains("bad.toml:4:10: inject \"wobble\": one of status, delay, drop, late", check.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, CliProcess.Run("scenario", "run", bad, "--control", serve.PathOf("control.sock")).ExitCode);

        var nobody = Write(serve, "nobody.toml", "agent = \"nobody\"\nduration = \"1s\"\n[[expect]]\nkind = \"stays_connected\"\n");
        var run = CliProcess.Run("scenario", "run", nobody, "--control", serve.PathOf("control.sock"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("agent \"nobody\": the model has no such agent (OSPM, guest, sandbox)", run.Stderr, StringComparison.Ordinal);

        var good = Write(serve, "good.toml", "agent = \"OSPM\"\nduration = \"1s\"\n[[expect]]\nkind = \"stays_connected\"\n");
        var unreachable = CliProcess.Run("scenario", "run", good, "--control", serve.PathOf("nothing.sock"));
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot talk to the daemon", unreachable.Stderr, StringComparison.Ordinal);
        Assert.Contains("scenario good, 1s, 0 step(s), 1 expectation(s)", CliProcess.Run("scenario", "check", good).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_starts_a_daemon_for_the_run_and_stops_it_after()
    {
        using var scratch = ScratchDirectory.Create("vscmi-scenario-test-");
        var directory = scratch.Path;
        var scenario = Path.Combine(directory, "own.toml");
        File.WriteAllText(scenario, "agent = \"OSPM\"\nduration = \"1s\"\n[[step]]\nat = \"0s\"\nevent = \"perf-limits\"\ndomain = \"big\"\nmin = 800\nmax = 1200\n"
            + "[[expect]]\nkind = \"notified\"\nnotification = \"PERFORMANCE_LIMITS_CHANGED\"\nat_most = 0\n");
        var socket = Path.Combine(directory, "ospm.sock");
        var (exit, stdout, stderr) = CliProcess.Run("scenario", "run", scenario, "--serve", $"--socket OSPM={socket}");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"started vscmi serve --socket OSPM={socket}", stdout, StringComparison.Ordinal);
        Assert.Contains("limits of big now 800..1200; 0 channel(s) notified", stdout, StringComparison.Ordinal);
        Assert.Contains("scenario own: 1 passed, 0 failed", stdout, StringComparison.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists(socket) && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        Assert.False(File.Exists(socket), "the daemon the run started is still serving");
    }

    [Fact]
    public async Task The_new_inject_kinds_act_on_the_daemon_and_clear_restores_it()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        using var agent = serve.Connect(serve.PathOf("ospm.sock"));

        var sensor = CliProcess.Run("inject", "sensor", "cpu_temp", "95000", "--control", control);
        Assert.True(sensor.ExitCode == 0, sensor.Stderr);
        Assert.Equal("fault 1: sensor 0 reads 95000", sensor.Stdout.Trim());
        Assert.Equal(95000u, agent.Call(SensorReadingGet, 0, 0)[2]);   // header, status, value_low

        Assert.Equal("limits of big now 800..1200; 0 channel(s) notified", CliProcess.Run("inject", "perf-limits", "big", "800", "1200", "--control", control).Stdout.Trim());
        Assert.Contains("fault 2: flood every agent's channels with PERFORMANCE_LEVEL_CHANGED (resource 1) at 100/s, 5 in all",
            CliProcess.Run("inject", "flood", "PERFORMANCE_LEVEL_CHANGED", "--resource", "big", "--count", "5", "--control", control).Stdout, StringComparison.Ordinal);
        Assert.Contains("reply cut to 6 byte(s) to every agent's CLOCK_ATTRIBUTES naming resource 2",
            CliProcess.Run("inject", "truncate", "6", "--message", "CLOCK_ATTRIBUTES", "--resource", "2", "--control", control).Stdout, StringComparison.Ordinal);
        Assert.Equal("agent guest denied device gpu (SENSOR); 0 channel(s) notified",
            CliProcess.Run("inject", "revoke", "gpu", "--agent", "guest", "--protocol", "SENSOR", "--control", control).Stdout.Trim());
        Assert.Contains("graceful shutdown requested by the platform", CliProcess.Run("inject", "system-power", "--control", control).Stdout, StringComparison.Ordinal);

        Assert.Contains("cleared 3 fault(s)", CliProcess.Run("inject", "clear", "--control", control).Stdout, StringComparison.Ordinal);
        Assert.NotEqual(95000u, agent.Call(SensorReadingGet, 0, 0)[2]);
    }

    [Theory]
    [InlineData("sensor|nope|1", "sensor \"nope\": the model has no such sensor (cpu_temp")]
    [InlineData("perf-limits|big|1|2", "limits 1..2: within the OPP levels 800..2800")]
    [InlineData("perf-limits|huge|800|900", "performance domain \"huge\": the model has no such performance domain")]
    [InlineData("flood|NOPE", "notification \"NOPE\": not a notification name")]
    [InlineData("truncate|0", "bytes 0: at least 1")]
    [InlineData("late|31000", "at most 30 s")]
    [InlineData("clock-rate|gpu_core|5", "rate 5 Hz: outside clock gpu_core's rates")]
    [InlineData("reset|nowhere", "reset domain \"nowhere\": the model has no such reset domain")]
    [InlineData("revoke|gpu|--agent|nobody", "agent \"nobody\": the model has no such agent")]
    [InlineData("revoke|nothing|--agent|guest", "device \"nothing\": the model has no such device")]
    public async Task A_new_injection_that_cannot_be_made_is_refused_by_name(string arguments, string expected)
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var (exit, _, stderr) = CliProcess.Run(["inject", .. arguments.Split('|'), "--control", serve.PathOf("control.sock")]);
        Assert.Equal(1, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Contains("no fault injected", CliProcess.Run("inject", "list", "--control", serve.PathOf("control.sock")).Stdout, StringComparison.Ordinal);
    }
}
