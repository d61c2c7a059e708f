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
        var directory = Directory.CreateTempSubdirectory("vscmi-client-").FullName;
        var path = Path.Combine(directory, "vm.sock");
        try
        {
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
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Socket Listen(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        return listener;
    }

    private static async Task AssertServedAsync(Socket listener)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frontend = await VhostUserFrontend.AcceptAsync(listener, cancellationToken: timeout.Token);
        await frontend.NegotiateAsync(timeout.Token);
        await frontend.StartAsync(timeout.Token);
        await using var client = new ScmiClient(VhostUserTransport.Over(frontend));
        Assert.Equal("guest", (await client.Base.DiscoverAgentAsync(0xFFFFFFFF, timeout.Token)).Name);
    }
}
