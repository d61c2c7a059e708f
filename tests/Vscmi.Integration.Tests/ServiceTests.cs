using System.Net.Sockets;
using System.Text;

namespace Vscmi.Integration.Tests;

/// <summary>
/// vscmi serve as a systemd Type=notify service, with the test as systemd: a datagram socket
/// named by NOTIFY_SOCKET receives READY=1 only once every socket exists, WATCHDOG=1 at half of
/// WATCHDOG_USEC, and STOPPING=1 on SIGTERM. Run against the native AOT binary (what the unit
/// starts) and the launcher.
/// </summary>
public sealed class ServiceTests
{
    public static TheoryData<string, bool> Binaries() => new()
    {
        { "aot", false },
        { "aot", true },
        { "launcher", false },
    };

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Ready_comes_after_the_sockets_then_watchdog_then_stopping(string binary, bool abstractAddress)
    {
        var executable = binary == "aot" ? ServeProcess.AotBinary : null;
        if (executable is not null)
            Assert.True(File.Exists(executable), $"{executable} is missing: ./test builds it (packaging/publish.sh --only-x64)");
        var name = $"vscmi-notify-{Guid.NewGuid():N}"[..24];
        var address = abstractAddress ? "@" + name : Path.Combine(Path.GetTempPath(), name + ".sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(abstractAddress ? "\0" + name : address));
        var received = new List<(string Message, bool SocketsExisted)>();
        string[] sockets = [];
        var listening = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int length;
                try
                {
                    length = await systemd.ReceiveAsync(buffer, SocketFlags.None);
                }
                catch (Exception e) when (e is ObjectDisposedException or SocketException)
                {
                    return;
                }

                var message = Encoding.UTF8.GetString(buffer, 0, length);
                lock (received)
                    received.Add((message, sockets.Length > 0 && sockets.All(File.Exists)));
            }
        });

        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = address, ["WATCHDOG_USEC"] = "400000" };
        var directory = Path.Combine(Path.GetTempPath(), $"vscmi-svc-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(directory);
        sockets = [Path.Combine(directory, "ospm.sock"), Path.Combine(directory, "vm.sock")];
        try
        {
            var model = Path.Combine(directory, "model.toml");
            File.WriteAllText(model, Vscmi.Platform.Model.ModelLoader.DefaultModelText);
            await using var serve = await ServeProcess.StartAsync(executable, environment, "--config", model, "--socket", sockets[0], "--vhost-user", $"guest={sockets[1]}");
            await Poll.Until(() => Snapshot().Any(r => r.Message.StartsWith("WATCHDOG=1", StringComparison.Ordinal)), "a watchdog keep-alive");

            var ready = Assert.Single(Snapshot(), r => r.Message.Contains("READY=1", StringComparison.Ordinal));
            Assert.True(ready.SocketsExisted, "READY=1 came before every socket existed");
            Assert.Contains($"MAINPID={serve.ProcessId}", ready.Message, StringComparison.Ordinal);
            Assert.Contains("STATUS=serving 2 sockets", ready.Message, StringComparison.Ordinal);
            Assert.StartsWith("READY=1", Snapshot()[0].Message, StringComparison.Ordinal);
            // The log is written by a thread of its own, after the datagram: wait for the line, not the order.
            await Poll.Until(() => serve.Output.Contains("systemd: READY=1 sent to " + address, StringComparison.Ordinal), "the READY=1 log line");

            // systemctl reload (SIGHUP): RELOADING=1 with the monotonic time systemd asks for, then READY=1.
            File.WriteAllText(model, Vscmi.Platform.Model.ModelLoader.DefaultModelText.Replace("rate_limit_us = 1000", "rate_limit_us = 2000", StringComparison.Ordinal));
            Assert.Equal(0, CliProcess.RunTool("kill", "-HUP", serve.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);
            await Poll.Until(() => Snapshot().Count(r => r.Message.Contains("READY=1", StringComparison.Ordinal)) == 2, "READY=1 after the reload");
            var messages = Snapshot().Select(r => r.Message).Where(m => !m.StartsWith("WATCHDOG=1", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, messages.Count);
            Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=\d+$", messages[1]);
            Assert.StartsWith("READY=1\nSTATUS=reloaded " + model, messages[2], StringComparison.Ordinal);
            await Poll.Until(() => serve.Output.Contains("reload (SIGHUP): " + model + " applied, 2 change(s)", StringComparison.Ordinal), "the reload in the log");

            Assert.Equal(0, await serve.StopAsync());
            await Poll.Until(() => Snapshot().Any(r => r.Message == "STOPPING=1"), "STOPPING=1 on SIGTERM");
        }
        finally
        {
            systemd.Dispose();
            await listening;
            if (!abstractAddress)
                File.Delete(address);
            Directory.Delete(directory, recursive: true);
        }

        List<(string Message, bool SocketsExisted)> Snapshot()
        {
            lock (received)
                return [.. received];
        }
    }

    [Fact]
    public async Task Without_NOTIFY_SOCKET_nothing_is_sent_and_serve_runs_as_before()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "{dir}/a.sock");
        Assert.DoesNotContain("systemd:", serve.Output, StringComparison.Ordinal);
        Assert.Equal(0, await serve.StopAsync());
    }
}
