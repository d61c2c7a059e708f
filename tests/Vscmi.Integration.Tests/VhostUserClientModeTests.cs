using System.Net.Sockets;
using Vscmi.Agent;
using Vscmi.VhostUser;

namespace Vscmi.Integration.Tests;

/// <summary>
/// <c>serve --vhost-user-client</c>: the daemon connects to a socket the frontend listens on (QEMU
/// with server=on), tries again while nothing listens, and connects again after a kill -9 and a
/// restart; the e2e test does the same with a real QEMU resuming a running guest.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserClientModeTests
{
    [Fact]
    public async Task The_daemon_connects_to_a_listening_frontend_and_again_after_a_restart()
    {
        using var scratch = ScratchDirectory.Create("vscmi-client-");
        var directory = scratch.Path;
        var path = Path.Combine(directory, "vm.sock");
        // The daemon starts first and waits for the frontend's socket.
        await using (var serve = await ServeProcess.StartAsync("--vhost-user-client", $"guest={path}", "--socket", "{dir}/ospm.sock"))
        {
            await Poll.Until(() => serve.Output.Contains($"vhost-user: no frontend listens on {path} yet", StringComparison.Ordinal), "the daemon to wait for the socket");
            using (var listener = Listen(path))
                await AssertServedAsync(listener);
            Assert.Equal(137, await serve.StopAsync("KILL"));

            // A new daemon finds the frontend listening again (a QEMU that kept running).
            File.Delete(path);
            using var again = Listen(path);
            await using var restarted = await ServeProcess.StartAsync("--vhost-user-client", $"guest={path}", "--socket", "{dir}/ospm2.sock");
            await AssertServedAsync(again);
            await restarted.StopAsync();
            Assert.True(File.Exists(path), "the daemon must not remove a socket the frontend owns");
        }
    }

    [Fact]
    public async Task A_VM_added_with_vm_add_in_client_mode_is_connected_again_after_a_kill_9()
    {
        using var scratch = ScratchDirectory.Create("vscmi-client-");
        var directory = scratch.Path;
        var path = Path.Combine(directory, "vm7.sock");
        var state = Path.Combine(directory, "state.json");
        using var listener = Listen(path); // the VM's QEMU, listening the whole time
        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            var control = serve.PathOf("control.sock");
            var (code, _, stderr) = CliProcess.Run("ctl", "vm", "add", "vm7", "--control", control);
            Assert.Equal(2, code);
            Assert.Contains("vm add needs one of --vhost-user PATH (the daemon listens) or --vhost-user-client PATH (QEMU listens)", stderr, StringComparison.Ordinal);

            Assert.Contains($"serving vm7 (agent id 4) on {path}", CliProcess.Ctl(control, "vm", "add", "vm7", "--vhost-user-client", path), StringComparison.Ordinal);
            await AssertServedAsync(listener, "vm7");
            var status = System.Text.Json.JsonDocument.Parse(CliProcess.Ctl(control, "status", "--json")).RootElement.GetProperty("agents")[3];
            Assert.Equal("connect", status.GetProperty("vhost_user_mode").GetString());
            await Poll.Until(() => File.Exists(state) && File.ReadAllText(state).Contains("\"mode\": \"connect\"", StringComparison.Ordinal), "the state file to hold the VM");
            Assert.Equal(137, await serve.StopAsync("KILL"));
        }

        // The restarted daemon adds vm7 back and connects to its QEMU again.
        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            await AssertServedAsync(listener, "vm7");
            Assert.Contains("removed vm7", CliProcess.Ctl(serve.PathOf("control.sock"), "vm", "remove", "vm7"), StringComparison.Ordinal);
            Assert.True(File.Exists(path), "the daemon must not remove a socket the frontend owns");
        }
    }

    private static Socket Listen(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        return listener;
    }

    private static async Task AssertServedAsync(Socket listener, string agent = "guest")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // A daemon reconnects as soon as a connection ends; one that was then killed leaves a dead
        // connection in the backlog, which the next accept gets (as QEMU would): skip it.
        for (var attempt = 0; ; attempt++)
        {
            var frontend = await VhostUserFrontend.AcceptAsync(listener, cancellationToken: timeout.Token);
            try
            {
                await frontend.NegotiateAsync(timeout.Token);
                await frontend.StartAsync(timeout.Token);
            }
            catch (VhostUserProtocolException) when (attempt < 2)
            {
                await frontend.DisposeAsync();
                continue;
            }

            await using var client = new ScmiClient(VhostUserTransport.Over(frontend));
            Assert.Equal(agent, (await client.Base.DiscoverAgentAsync(0xFFFFFFFF, timeout.Token)).Name);
            return;
        }
    }
}
