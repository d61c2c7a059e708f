namespace Vscmi.Integration.Tests;

/// <summary>
/// <c>./vscmi serve</c> as a separate process, driven over its sockets with raw frames for every
/// protocol. Headers are written out: protocol &lt;&lt; 10 | message, token in bits 27:18.
/// </summary>
public sealed class ServeCommandTests : IAsyncLifetime
{
    // One daemon per test: the tests change the platform's state, and none may see another's.
    private readonly ServeProcess _serve = new();

    public Task InitializeAsync() => _serve.InitializeAsync();

    public Task DisposeAsync() => _serve.DisposeAsync();

    private const uint Success = 0;
    private const uint NotFound = 0xFFFFFFFC;
    private const uint ProtocolError = 0xFFFFFFF6;

    [Fact]
    public void Base_reports_version_vendor_agents_and_protocols()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, c.Call(0x00044000));
        var vendor = c.Call(0x00084003);
        Assert.Equal((0x00084003u, Success), (vendor[0], vendor[1]));
        Assert.Equal("vscmi", RawClient.Text(vendor, 2, 16));
        // OSPM is trusted: the nine standard protocols and vscmi's vendor protocol 0x80; 3 agents.
        Assert.Equal(new uint[] { 0x000C4001, Success, 0x0000030A }, c.Call(0x000C4001));
        Assert.Equal(new uint[] { 0x00104006, Success, 10, 0x14131211, 0x18171615, 0x00008019 }, c.Call(0x00104006, 0));
        var self = c.Call(0x00144007, 0xFFFFFFFF);
        Assert.Equal(1u, self[2]);
        Assert.Equal("OSPM", RawClient.Text(self, 3, 16));
        Assert.Equal(new uint[] { 0x00184007, NotFound }, c.Call(0x00184007, 9));
    }

    [Fact]
    public async Task A_client_reconnecting_hundreds_of_times_cannot_flood_the_log()
    {
        // Each connection logs "connected" and "disconnected" (information); per agent and event at
        // most 20 lines are written per 10 s, and the rest are summed up in one line when it ends.
        for (var i = 0; i < 300; i++)
        {
            using var c = _serve.Connect(_serve.OspmSocket);
            Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, c.Call(0x00044000)); // each one is served
        }

        static int Lines(string output, string what) => output.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));
        await Poll.Until(() => Lines(_serve.Output, "agent OSPM (1) connected") >= 20, "the first connection lines");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!_serve.Output.Contains("more line(s) about agent OSPM not written", StringComparison.Ordinal) && watch.Elapsed < TimeSpan.FromSeconds(25))
            await Task.Delay(100);
        var output = _serve.Output;
        Assert.Contains("more line(s) about agent OSPM not written in the last 10 s (at most 20 per 10 s)", output, StringComparison.Ordinal);
        Assert.InRange(Lines(output, "agent OSPM (1) connected"), 20, 40); // 40: the 300 may straddle two windows
        Assert.InRange(Lines(output, "agent OSPM disconnected"), 20, 40);

        // The limit is per agent: another agent's first connection is still written.
        using (var guest = _serve.Connect(_serve.GuestSocket))
            guest.Call(0x00044000);
        await Poll.Until(() => _serve.Output.Contains("agent guest (2) connected", StringComparison.Ordinal), "the guest's connection line");
    }

    [Fact]
    public async Task Connections_over_an_agents_limit_are_closed_at_once_while_another_agent_is_served()
    {
        using var model = TempModel.WithAgentLine("OSPM", "max_connections = 2");
        await using var serve = await ServeProcess.StartAsync("--config", model.Path, "--socket", "OSPM={dir}/ospm.sock", "--socket", "guest={dir}/guest.sock");
        using var first = serve.Connect(serve.PathOf("ospm.sock"));
        using var second = serve.Connect(serve.PathOf("ospm.sock"));
        Assert.Equal(Success, first.Call(0x00044000)[1]);
        Assert.Equal(Success, second.Call(0x00044000)[1]);
        using var guest = serve.Connect(serve.PathOf("guest.sock"));
        for (var i = 0; i < 50; i++)
        {
            // Over the limit: closed before a byte is read; the guest is served meanwhile.
            using var over = serve.Connect(serve.PathOf("ospm.sock"));
            Assert.True(Closed(over), $"connection {i + 3} of OSPM was served");
            Assert.Equal(Success, guest.Call(0x00044000)[1]);
        }

        Assert.Equal(Success, first.Call(0x00044000)[1]); // the two within the limit go on
        await Poll.Until(() => serve.Output.Contains("agent OSPM has its 2 connections open (max_connections)", StringComparison.Ordinal), "the warning");
        Assert.Equal(1, serve.Output.Split('\n').Count(l => l.Contains("(max_connections)", StringComparison.Ordinal))); // once per 10 s

        second.Dispose();
        await Poll.Until(() => serve.Output.Contains("agent OSPM disconnected", StringComparison.Ordinal), "the second connection to close");
        using var again = serve.Connect(serve.PathOf("ospm.sock"));
        Assert.Equal(Success, again.Call(0x00044000)[1]); // a place is free again

        // Closed by the daemon: the send breaks the pipe, or the reply is the end of the stream.
        static bool Closed(RawClient client)
        {
            try
            {
                client.SendFrame([0x00, 0x40, 0x04, 0x00]);
                return client.ReceiveFrame() is null;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
    }

    [Fact]
    public void Each_socket_belongs_to_its_agent()
    {
        using var guest = _serve.Connect(_serve.GuestSocket);
        var self = guest.Call(0x00044007, 0xFFFFFFFF);
        Assert.Equal((Success, 2u, "guest"), (self[1], self[2], RawClient.Text(self, 3, 16)));
        using var tcp = _serve.ConnectTcp();
        var tcpSelf = tcp.Call(0x00044007, 0xFFFFFFFF);
        Assert.Equal((Success, 2u), (tcpSelf[1], tcpSelf[2]));
    }

    [Fact]
    public void Power_state_set_reads_back()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00044404, Success }, c.Call(0x00044404, 0, 3, 0x40000000));
        Assert.Equal(new uint[] { 0x00044405, Success, 0x40000000 }, c.Call(0x00044405, 3));
        Assert.Equal(new uint[] { 0x00044404, Success }, c.Call(0x00044404, 0, 3, 0));
        Assert.Equal(new uint[] { 0x00044405, Success, 0 }, c.Call(0x00044405, 3));
        Assert.Equal(new uint[] { 0x00044405, NotFound }, c.Call(0x00044405, 4));
    }

    [Fact]
    public void System_power_advertises_its_states()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00044800, Success, 0x20001 }, c.Call(0x00044800));
        Assert.Equal(new uint[] { 0x00044802, Success, 0xC0000000 }, c.Call(0x00044802, 3));
        Assert.Equal(new uint[] { 0x00044802, NotFound }, c.Call(0x00044802, 7));
    }

    [Fact]
    public void Perf_level_set_is_seen_by_another_agent()
    {
        using var ospm = _serve.Connect(_serve.OspmSocket);
        using var guest = _serve.Connect(_serve.GuestSocket);
        Assert.Equal(new uint[] { 0x00044C07, Success }, ospm.Call(0x00044C07, 1, 2000));
        Assert.Equal(new uint[] { 0x00044C08, Success, 2000 }, guest.Call(0x00044C08, 1));
        Assert.Equal(new uint[] { 0x00044C07, 0xFFFFFFFB }, ospm.Call(0x00044C07, 1, 2001)); // OUT_OF_RANGE
        var levels = ospm.Call(0x00044C04, 1, 0);
        Assert.Equal((Success, 6u, 800u, 2800u), (levels[1], levels[2], levels[3], levels[3 + (5 * 5)]));
    }

    [Fact]
    public void Clock_rate_set_reads_back()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00045005, Success }, c.Call(0x00045005, 0, 3, 400000000, 0));
        Assert.Equal(new uint[] { 0x00045006, Success, 400000000, 0 }, c.Call(0x00045006, 3));
        Assert.Equal(new uint[] { 0x00045004, Success, 0x00001003, 200000000, 0, 1000000000, 0, 50000000, 0 }, c.Call(0x00045004, 6, 0));
        Assert.Equal(new uint[] { 0x00045005, 0xFFFFFFFE }, c.Call(0x00045005, 0x0C, 3, 400000000, 0)); // reserved rounding: INVALID_PARAMETERS
    }

    [Fact]
    public void Sensor_descriptions_split_at_the_default_128_bytes_and_readings_follow_the_model()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        var first = c.Call(0x00045403, 0);
        Assert.Equal((Success, 0x00020004u), (first[1], first[2])); // 4 returned, 2 remaining
        Assert.Equal(2 + 1 + (4 * 7), first.Length);
        var reading = c.Call(0x00045406, 2, 0);
        Assert.Equal(new uint[] { 0x00045406, Success, 900, 0, 0, 0 }, reading);
    }

    [Fact]
    public void Reset_and_voltage()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00045804, Success }, c.Call(0x00045804, 1, 1, 0));
        Assert.Equal(new uint[] { 0x00045804, NotFound }, c.Call(0x00045804, 3, 1, 0));
        Assert.Equal(new uint[] { 0x00045C07, Success }, c.Call(0x00045C07, 2, 0, 3300000));
        Assert.Equal(new uint[] { 0x00045C08, Success, 3300000 }, c.Call(0x00045C08, 2));
    }

    [Fact]
    public async Task Every_log_line_is_one_entry_with_time_level_category_and_event_id()
    {
        using (var c = _serve.Connect(_serve.OspmSocket))
            Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, c.Call(0x00044000));
        await _serve.StopAsync();
        var lines = _serve.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("vscmi: building", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= 3, _serve.Output);
        Assert.All(lines, l => Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} (trce|dbug|info|warn|fail|crit): vscmi(\.[a-z-]+)?\[\d+\] \S", l));
        Assert.Contains(lines, l => l.Contains(" info: vscmi[1] ready: vscmi/virt-soc", StringComparison.Ordinal));
        // Written before the process ended. Not necessarily last: the client's disconnect, seen by
        // the connection's own loop, may be logged just after it (a race seen under load).
        Assert.Contains(lines, l => l.EndsWith(" info: vscmi[2] stopping", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_messages_get_statuses_and_the_channel_goes_on()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00045006, ProtocolError }, c.Call(0x00045006));              // no parameters
        Assert.Equal(new uint[] { 0x00045006, ProtocolError }, c.Call(0x00045006, 1, 2));        // trailing word
        Assert.Equal(new uint[] { 0x10045006, ProtocolError }, c.Call(0x10045006, 1));           // reserved header bits
        Assert.Equal(new uint[] { 0x00050800, 0xFFFFFFFF }, c.Call(0x00050800));                 // unknown protocol 0x42: NOT_SUPPORTED
        Assert.Equal(new uint[] { 0x00047F00, ProtocolError }, c.Call(0x00047F00));               // type 3 from an agent

        // Oversized: answered with PROTOCOL_ERROR, the stream stays framed.
        var big = new byte[4 + 300];
        RawClient.Words(0x00045006).CopyTo(big, 0);
        c.SendFrame(big);
        Assert.Equal(RawClient.Words(0x00045006, ProtocolError), c.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, c.Call(0x00044000));
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 0xAA, 0xBB })]                       // a frame too short for a header
    [InlineData(new byte[] { 0x40, 0x42, 0x0F, 0x00 })]                       // 1,000,000 bytes announced
    [InlineData(new byte[] { 8, 0, 0, 0, 0x00, 0x40, 0x04 })]                // closed inside a frame
    [InlineData(new byte[] { 0, 0 })]                                         // closed inside a length
    public void A_broken_connection_is_closed_and_others_are_not_affected(byte[] garbage)
    {
        using var bystander = _serve.Connect(_serve.GuestSocket);
        Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, bystander.Call(0x00044000));

        using (var bad = _serve.Connect(_serve.OspmSocket))
        {
            bad.SendRaw(garbage);
            bad.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Null(bad.ReceiveFrame());
        }

        // vdd_cpu (domain 0): no test of this fixture changes it, so its whole reply is known.
        Assert.Equal(new uint[] { 0x00045C08, Success, 900000 }, bystander.Call(0x00045C08, 0));
        using var again = _serve.Connect(_serve.OspmSocket);
        Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, again.Call(0x00044000));
    }

    [Fact]
    public void Notifications_reach_the_subscribed_agent_on_its_own_connection()
    {
        using var ospm = _serve.Connect(_serve.OspmSocket);
        using var guest = _serve.Connect(_serve.GuestSocket);
        Assert.Equal(new uint[] { 0x00045009, Success }, ospm.Call(0x00045009, 6, 1));      // CLOCK_RATE_NOTIFY gpu_core
        Assert.Equal(new uint[] { 0x00045805, Success }, ospm.Call(0x00045805, 0, 1));      // RESET_NOTIFY eth
        Assert.Equal(new uint[] { 0x00045005, Success }, guest.Call(0x00045005, 0, 6, 750000000, 0));
        Assert.Equal(RawClient.Words(0x00005300, 2, 6, 750000000, 0), ospm.ReceiveFrame()); // CLOCK_RATE_CHANGED from agent 2
        Assert.Equal(new uint[] { 0x00045804, Success }, guest.Call(0x00045804, 0, 1, 0));
        Assert.Equal(RawClient.Words(0x00005B00, 2, 0, 0), ospm.ReceiveFrame());             // RESET_ISSUED

        Assert.Equal(new uint[] { 0x00045009, Success }, ospm.Call(0x00045009, 6, 0));      // unsubscribe
        Assert.Equal(new uint[] { 0x00045005, Success }, guest.Call(0x00045005, 0, 6, 500000000, 0));
        Assert.Equal(new uint[] { 0x00044000, Success, 0x20001 }, ospm.Call(0x00044000));   // the next frame is this reply, not a notification
    }

    [Fact]
    public void An_asynchronous_command_gets_its_reply_then_a_delayed_response_with_the_same_token()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        // CLOCK_RATE_SET token 300, async, rounding closest, pll_big (async_latency_us = 2000 in the default model).
        Assert.Equal(new uint[] { 0x04B05005, Success }, c.Call(0x04B05005, 0x9, 2, 1800000000, 0));
        Assert.Equal(RawClient.Words(0x04B05205, Success, 2, 1800000000, 0), c.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00045006, Success, 1800000000, 0 }, c.Call(0x00045006, 2));
        // An asynchronous reset of eth: RESET_COMPLETE carries the domain.
        Assert.Equal(new uint[] { 0x00085804, Success }, c.Call(0x00085804, 0, 0x5, 0));
        Assert.Equal(RawClient.Words(0x00085A04, Success, 0), c.ReceiveFrame());
    }

    [Fact]
    public void Logs_connections()
    {
        using (var c = _serve.Connect(_serve.OspmSocket))
            c.Call(0x00044000);
        // The console logger writes from a background queue.
        for (var i = 0; i < 100 && !_serve.Output.Contains("agent OSPM disconnected", StringComparison.Ordinal); i++)
            Thread.Sleep(50);
        var output = _serve.Output;
        Assert.True(output.Contains("listening on unix:", StringComparison.Ordinal), output);
        Assert.True(output.Contains("agent OSPM (1) connected", StringComparison.Ordinal), output);
        Assert.True(output.Contains("agent OSPM disconnected", StringComparison.Ordinal), output);
    }
}

/// <summary>Start-up and shutdown behaviour, each with its own process.</summary>
public class ServeLifecycleTests
{
    /// <summary>SIGTERM (systemd, kill) and SIGINT (Ctrl-C, as README promises) alike.</summary>
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Stops_cleanly_on_a_signal_and_removes_its_socket(string signal)
    {
        var serve = new ServeProcess();
        await serve.InitializeAsync();
        try
        {
            Assert.True(File.Exists(serve.OspmSocket));
            Assert.Equal(0, await serve.StopAsync(signal));
            Assert.False(File.Exists(serve.OspmSocket));
            Assert.Contains("stopping", serve.Output, StringComparison.Ordinal);
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    [Fact]
    public void Refuses_an_unknown_agent_and_a_non_loopback_address()
    {
        var (exit, _, stderr) = CliProcess.Run("serve", "--socket", "nobody=/tmp/x.sock");
        Assert.Equal(2, exit);
        Assert.Contains("unknown agent 'nobody'", stderr, StringComparison.Ordinal);
        Assert.Contains("OSPM (1)", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = CliProcess.Run("serve", "--tcp", "10.1.2.3:4000");
        Assert.Equal(2, exit);
        Assert.Contains("only loopback", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_config_is_reported_with_its_location()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vscmi-bad-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, "[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\n[[clock]]\nname = \"c\"\nrates = [3, 2]\n");
        try
        {
            var (exit, _, stderr) = CliProcess.Run("serve", "--config", path, "--socket", "/tmp/never.sock");
            Assert.Equal(1, exit);
            Assert.Contains($"{path}:7:9:", stderr, StringComparison.Ordinal);
            (exit, _, stderr) = CliProcess.Run("config", "check", path);
            Assert.Equal(1, exit);
            Assert.Contains("strictly ascending", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_show_prints_a_model_that_config_check_accepts()
    {
        var (exit, stdout, _) = CliProcess.Run("config", "show");
        Assert.Equal(0, exit);
        var path = Path.Combine(Path.GetTempPath(), $"vscmi-show-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, stdout);
        try
        {
            var (checkExit, checkOut, _) = CliProcess.Run("config", "check", path);
            Assert.Equal(0, checkExit);
            Assert.Contains("ok: 3 agent(s), 2 performance domain(s), 8 clock(s), 6 sensor(s), 4 power domain(s), 3 reset domain(s), 3 voltage domain(s)", checkOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
