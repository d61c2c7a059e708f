using Vscmi.Agent;

namespace Vscmi.Integration.Tests;

/// <summary>
/// serve --state: what agents set survives a kill -9 of the daemon, byte for byte as
/// 'vscmi ctl state show' reports it, and a damaged file is set aside with the reason logged.
/// </summary>
public sealed class StateRestartTests
{
    [Fact]
    public async Task A_killed_daemon_restarts_with_the_state_it_had()
    {
        using var scratch = ScratchDirectory.Create("vscmi-state-");
        var directory = scratch.Path;
        var state = Path.Combine(directory, "state.json");
        string before;
        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            Assert.Contains("state: no state file at", serve.Output, StringComparison.Ordinal);
            await using (var client = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("ospm.sock")))
            {
                await client.Clock.SetRateAsync(1, 800_000_000);
                await client.Perf.SetLimitsAsync(0, 1500, 800);
                await client.Base.SetDevicePermissionsAsync(2, 0, allow: false);
            }

            await Poll.Until(() => File.Exists(state) && File.ReadAllText(state).Contains("800000000", StringComparison.Ordinal), "the state file to hold the new rate");
            before = CliProcess.Ctl(serve.PathOf("control.sock"), "state", "show");
            Assert.Equal(File.ReadAllText(state), before);
            Assert.Equal(137, await serve.StopAsync("KILL"));
        }

        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            Assert.Contains("state: restored from " + state, serve.Output, StringComparison.Ordinal);
            Assert.Equal(before, CliProcess.Ctl(serve.PathOf("control.sock"), "state", "show"));
            await using var client = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("ospm.sock"));
            Assert.Equal(800_000_000UL, await client.Clock.GetRateAsync(1));
            Assert.Equal((1500u, 800u), await client.Perf.GetLimitsAsync(0));
        }

        // A torn file: set aside, the reason said, and the daemon serves the model's defaults.
        File.WriteAllText(state, before[..(before.Length / 2)]);
        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state))
        {
            Assert.Matches(@"state: \S+ refused \([^)]*torn[^)]*\); moved aside to \S+refused-", serve.Output);
            Assert.Single(Directory.GetFiles(directory, "state.json.refused-*"));
            await using var client = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("ospm.sock"));
            Assert.Equal(1_200_000_000UL, await client.Clock.GetRateAsync(1));
        }
    }
}
