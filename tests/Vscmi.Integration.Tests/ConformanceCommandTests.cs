using System.Text.Json;

namespace Vscmi.Integration.Tests;

/// <summary>
/// The commands that go with issue 11 (events, permissions, system --agent, decode --release,
/// scmi_release models), each as a separate process against <c>./vscmi serve</c>.
/// </summary>
public sealed class ConformanceCommandTests : IAsyncLifetime
{
    // One daemon per test: the tests change the platform's state, and none may see another's.
    private readonly ServeProcess _serve = new();

    public Task InitializeAsync() => _serve.InitializeAsync();

    public Task DisposeAsync() => _serve.DisposeAsync();

    private (int Exit, string Stdout, string Stderr) Ospm(params string[] args) => CliProcess.Run([.. args, "--connect", "unix:" + _serve.OspmSocket]);

    private (int Exit, string Stdout, string Stderr) Guest(params string[] args) => CliProcess.Run([.. args, "--connect", "unix:" + _serve.GuestSocket]);

    [Fact]
    public void Permissions_deny_one_protocol_of_one_device_then_allow_and_reset()
    {
        var (exit, stdout, stderr) = Ospm("permissions", "deny", "--agent", "guest", "--device", "1", "--protocol", "clock");
        Assert.True(exit == 0, stderr);
        Assert.Equal("agent 2: protocol CLOCK of device 1 denied", stdout.Trim());
        (exit, _, stderr) = Guest("clock", "set-rate", "gpu_core", "600000000");
        Assert.Equal(1, exit);
        Assert.Contains("DENIED", stderr, StringComparison.Ordinal);
        Assert.Equal(0, Guest("clock", "set-rate", "spi0", "25000000").Exit); // another device's clock

        Assert.Equal(0, Ospm("permissions", "allow", "--agent", "2", "--device", "1", "--protocol", "0x14").Exit);
        Assert.Equal(0, Guest("clock", "set-rate", "gpu_core", "600000000").Exit);

        Assert.Equal(0, Ospm("permissions", "deny", "--agent", "guest", "--device", "0").Exit);
        Assert.Equal(1, Guest("clock", "set-rate", "uart0", "48000000").Exit);
        (exit, stdout, _) = Ospm("permissions", "reset", "--agent", "guest");
        Assert.Equal((0, "agent 2: configuration reset"), (exit, stdout.Trim()));
        Assert.Equal(0, Guest("clock", "set-rate", "uart0", "48000000").Exit);

        // The guest is not trusted; a protocol the device has none of is NOT_SUPPORTED; names are checked.
        Assert.Contains("DENIED", Guest("permissions", "deny", "--agent", "OSPM", "--device", "1").Stderr, StringComparison.Ordinal);
        Assert.Contains("NOT_SUPPORTED", Ospm("permissions", "deny", "--agent", "guest", "--device", "1", "--protocol", "perf").Stderr, StringComparison.Ordinal);
        (exit, _, stderr) = Ospm("permissions", "deny", "--agent", "nobody", "--device", "1");
        Assert.Equal(2, exit);
        Assert.Contains("no agent named 'nobody' (there are: OSPM, guest, sandbox)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_prints_each_notification_as_a_json_line_with_the_agent_that_caused_it()
    {
        var events = Task.Run(() => Ospm("events", "--json", "--count", "1"));
        // The events process subscribes after it starts: toggle until it has seen one (bounded).
        for (var i = 0; i < 40 && !events.IsCompleted; i++)
        {
            Guest("power", "set-state", "vpu", i % 2 == 0 ? "on" : "off");
            await Task.WhenAny(events, Task.Delay(500));
        }

        var (exit, stdout, stderr) = await events;
        Assert.True(exit == 0, stderr);
        Assert.Contains("subscriptions; waiting for notifications", stderr, StringComparison.Ordinal);
        var line = JsonDocument.Parse(stdout.Trim().Split('\n').Single()).RootElement;
        var message = line.GetProperty("message");
        Assert.Equal("POWER_STATE_CHANGED", message.GetProperty("message").GetString());
        Assert.Equal(2, message.GetProperty("fields").GetProperty("agent_id").GetInt32());
        Assert.EndsWith("Z", line.GetProperty("time").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void System_shutdown_of_one_agent_reaches_only_that_agents_subscribed_channel()
    {
        using var guest = _serve.Connect(_serve.GuestSocket);
        Assert.Equal(new uint[] { 0x00004805, 0 }, guest.Call(0x00004805, 1)); // SYSTEM_POWER_STATE_NOTIFY(1)
        var (exit, stdout, stderr) = Ospm("system", "shutdown", "--agent", "guest", "--timeout-ms", "500");
        Assert.True(exit == 0, stderr);
        Assert.Equal("system shutdown requested of agent guest (2)", stdout.Trim());
        var notifier = guest.ReceiveFrame()!;
        Assert.Equal("0x00004B00 1 1 0 500", string.Join(' ', Enumerable.Range(0, notifier.Length / 4)
            .Select(i => BitConverter.ToUInt32(notifier, i * 4)).Select((w, i) => i == 0 ? $"0x{w:X8}" : w.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        (exit, _, stderr) = Ospm("system", "reboot", "--agent", "sandbox");
        Assert.Equal(1, exit);
        Assert.Contains("has no channel subscribed to SYSTEM_POWER_STATE_NOTIFY", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = Guest("system", "shutdown", "--agent", "OSPM");
        Assert.Equal(1, exit); // the guest is not trusted: the vendor protocol does not exist for it
    }

    [Fact]
    public void Decode_reads_an_older_release_and_names_what_it_lacks()
    {
        var (exit, stdout, stderr) = CliProcess.Run("decode", "--release", "2.0", "--response", "0x00045406", "0x0", "0x384", "0x0");
        Assert.True(exit == 0, stderr);
        Assert.Equal("SENSOR 0x15 SENSOR_READING_GET response token=1 status=SUCCESS readings=[{value=900}]", stdout.Trim());
        (exit, _, stderr) = CliProcess.Run("decode", "--release", "2.0", "0x00045008", "0x0");
        Assert.Equal(1, exit);
        Assert.Contains("CLOCK_NAME_GET is not in SCMI 2.0 (CLOCK v1.0)", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = CliProcess.Run("decode", "--release", "1.0", "0x00045008", "0x0");
        Assert.Equal(2, exit);
        Assert.Contains("--release 1.0: not an SCMI release", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_presenting_scmi_2_0_is_checked_served_and_named_by_info()
    {
        var path = Path.Combine(_serve.Directory, "m20.toml");
        var (_, model, _) = CliProcess.Run("config", "show");
        await File.WriteAllTextAsync(path, "scmi_release = \"2.0\"\n" + model);
        var (exit, stdout, stderr) = CliProcess.Run("config", "check", path);
        Assert.True(exit == 0, stderr);
        Assert.Contains(": ok:", stdout, StringComparison.Ordinal);

        await File.WriteAllTextAsync(path + ".bad", "scmi_release = \"4.0\"\n" + model);
        (exit, _, stderr) = CliProcess.Run("config", "check", path + ".bad");
        Assert.Equal(1, exit);
        Assert.Contains("m20.toml.bad:1:", stderr, StringComparison.Ordinal);
        Assert.Contains("'scmi_release' = \"4.0\" is not an SCMI release", stderr, StringComparison.Ordinal);

        await using var old = await ServeProcess.StartAsync("--config", path, "--socket", "OSPM={dir}/o.sock");
        var info = JsonDocument.Parse(CliProcess.Run("info", "--json", "--connect", $"unix:{old.PathOf("o.sock")}").Stdout).RootElement;
        Assert.Equal("2.0", info.GetProperty("scmi_release").GetString());
        Assert.Equal("2.0", info.GetProperty("base_version").GetString());
        var names = info.GetProperty("protocols").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain("VOLTAGE", names);
        Assert.Contains("SENSOR", names);
        // The agent speaks the platform's versions: listings decode 2.0's layouts.
        var sensors = CliProcess.Run("sensors", "--json", "--connect", $"unix:{old.PathOf("o.sock")}");
        Assert.True(sensors.ExitCode == 0, sensors.Stderr);
        Assert.Equal(6, JsonDocument.Parse(sensors.Stdout).RootElement.GetArrayLength());
        var clocks = CliProcess.Run("clocks", "--json", "--connect", $"unix:{old.PathOf("o.sock")}");
        Assert.True(clocks.ExitCode == 0, clocks.Stderr);
        var perf = CliProcess.Run("perf", "--json", "--connect", $"unix:{old.PathOf("o.sock")}");
        Assert.Equal(1200000, JsonDocument.Parse(perf.Stdout).RootElement[0].GetProperty("frequency_khz").GetInt32());
    }
}
