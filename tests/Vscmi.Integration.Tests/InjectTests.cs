using Vscmi.Agent;
using Vscmi.VhostUser;

namespace Vscmi.Integration.Tests;

/// <summary>
/// <c>vscmi inject</c> against a running daemon, as a driver author uses it: a status answered a
/// given number of times, a command never answered on a stream socket and on a VM's virtqueue
/// (the agent times out, the next command is answered), other agents untouched, and refusals that
/// name the value.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InjectTests
{
    [Fact]
    public async Task A_status_fault_answers_BUSY_its_count_of_times_to_its_agent_only()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--socket", "guest={dir}/guest.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        var added = CliProcess.Run("inject", "status", "BUSY", "--agent", "guest", "--message", "CLOCK_RATE_GET", "--count", "2", "--control", control);
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal("fault 1: status BUSY to guest's CLOCK_RATE_GET, 2 time(s)", added.Stdout.Trim());

        using (var ospm = serve.Connect(serve.PathOf("ospm.sock")))
        using (var guest = serve.Connect(serve.PathOf("guest.sock")))
        {
            Assert.Equal(0u, ospm.Call(0x00005006, 3)[1]);                   // OSPM: not its fault
            Assert.Equal(unchecked((uint)-6), guest.Call(0x00005006, 0)[1]); // BUSY
            Assert.Equal(unchecked((uint)-6), guest.Call(0x00005006, 0)[1]); // BUSY
            Assert.Equal(0u, guest.Call(0x00005006, 0)[1]);                  // the count is used up
        }

        var list = CliProcess.Run("inject", "list", "--control", control);
        Assert.Contains("1: status BUSY to guest's CLOCK_RATE_GET, 2 time(s) (applied 2, 0 remaining)", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("cleared 1 fault(s)", CliProcess.Run("inject", "clear", "--control", control).Stdout, StringComparison.Ordinal);
        Assert.Contains("no fault injected", CliProcess.Run("inject", "list", "--control", control).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_command_times_out_on_a_stream_socket_and_on_a_virtqueue_and_the_next_is_answered()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--vhost-user", "guest={dir}/vm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        // One timeout for the dropped command and the next: the next must be answered within it on a
        // busy 2-core machine, so not too short (as in ClientEdgeCaseTests' late reply).
        var options = new ScmiClientOptions { Timeout = TimeSpan.FromSeconds(2) };

        Assert.Equal(0, CliProcess.Run("inject", "drop", "--agent", "OSPM", "--message", "CLOCK_RATE_GET", "--count", "1", "--control", control).ExitCode);
        await using (var ospm = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("ospm.sock"), options))
        {
            await Assert.ThrowsAsync<ScmiTimeoutException>(() => ospm.Clock.GetRateAsync(3));
            Assert.Equal(200_000_000UL, await ospm.Clock.GetRateAsync(3));
        }

        Assert.Equal(0, CliProcess.Run("inject", "drop", "--agent", "guest", "--message", "CLOCK_RATE_GET", "--count", "1", "--control", control).ExitCode);
        await using (var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(serve.PathOf("vm.sock")), options))
        {
            await Assert.ThrowsAsync<ScmiTimeoutException>(() => guest.Clock.GetRateAsync(0));
            Assert.Equal(24_000_000UL, await guest.Clock.GetRateAsync(0));
        }

        Assert.Contains("(applied 1, 0 remaining)", CliProcess.Run("inject", "list", "--control", control).Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status|WOBBLY", "status WOBBLY: one of")]
    [InlineData("status|BUSY|--agent|nobody", "agent \"nobody\": the model has no such agent")]
    [InlineData("status|BUSY|--message|CLOCK_RATE_WOBBLE", "message \"CLOCK_RATE_WOBBLE\": not a message name")]
    [InlineData("status|BUSY|--message|PROTOCOL_VERSION", "every protocol has one; name the protocol too")]
    [InlineData("status|SUCCESS", "status SUCCESS: a status fault answers an error")]
    [InlineData("status|BUSY|--probability|1.5", "probability 1.5")]
    [InlineData("delay|40000", "at most 30 s")]
    [InlineData("clear|7", "id 7: no such fault")]
    public async Task A_fault_that_cannot_be_injected_is_refused_by_name(string arguments, string expected)
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var (exit, _, stderr) = CliProcess.Run(["inject", .. arguments.Split('|'), "--control", serve.PathOf("control.sock")]);
        Assert.Equal(1, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Contains("no fault injected", CliProcess.Run("inject", "list", "--control", serve.PathOf("control.sock")).Stdout, StringComparison.Ordinal);
    }
}
