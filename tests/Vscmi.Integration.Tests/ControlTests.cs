using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vscmi.Agent;
using Vscmi.VhostUser;

namespace Vscmi.Integration.Tests;

/// <summary>
/// The control socket of a running daemon through <c>vscmi ctl</c>, as an operator or a VM
/// manager uses it: status, a VM added and removed while another agent is being served, refusals
/// that name the value, and garbage on the socket answered without harm.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlTests
{
    [Fact]
    public async Task A_VM_is_added_served_and_removed_while_another_agent_goes_on()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(control));
        await using var ospm = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("ospm.sock"));
        Assert.Equal("vscmi", (await ospm.Base.DiscoverAsync()).Vendor);

        var status = CliProcess.Ctl(control, "status", "--json");
        var agents = JsonDocument.Parse(status).RootElement.GetProperty("agents");
        Assert.Equal(["OSPM", "guest", "sandbox"], agents.EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal(1, agents[0].GetProperty("sessions").GetInt32());
        Assert.True(agents[0].GetProperty("commands").GetInt64() >= 4);
        Assert.Equal(JsonValueKind.Null, agents[2].GetProperty("vhost_user").ValueKind);

        var vm = serve.PathOf("sandbox.sock");
        Assert.Contains($"serving sandbox on {vm}", CliProcess.Ctl(control, "vm", "add", "sandbox", "--vhost-user", vm), StringComparison.Ordinal);
        await using (var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(vm)))
        {
            Assert.Equal("sandbox", (await guest.Base.DiscoverAgentAsync(0xFFFFFFFF)).Name);
            Assert.Equal(2, await guest.Clock.GetClockCountAsync()); // the sandbox's own view
            Assert.Contains("sandbox: vm " + vm + ", 1 session(s)", CliProcess.Ctl(control, "status"), StringComparison.Ordinal);
        }

        Assert.Contains("removed sandbox", CliProcess.Ctl(control, "vm", "remove", "sandbox"), StringComparison.Ordinal);
        Assert.False(File.Exists(vm));
        Assert.Equal("vscmi", (await ospm.Base.DiscoverAsync()).Vendor);
        Assert.Contains("control: VM socket for agent sandbox added at", serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_name_what_was_wrong_and_garbage_gets_an_error_line()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");

        var (code, _, stderr) = CliProcess.Run("ctl", "vm", "add", "nobody", "--vhost-user", serve.PathOf("x.sock"), "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("no agent \"nobody\" in the model (agents: OSPM, guest, sandbox)", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("ctl", "vm", "remove", "sandbox", "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("no VM socket is served for \"sandbox\"", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("ctl", "status", "--control", serve.PathOf("nothing.sock"));
        Assert.Equal(1, code);
        Assert.Contains("cannot talk to the daemon at", stderr, StringComparison.Ordinal);

        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(control));
        await using var stream = new NetworkStream(raw);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var random = new Random(14);
        var garbage = new byte[200];
        random.NextBytes(garbage);
        await stream.WriteAsync(Encoding.UTF8.GetBytes("not json\n[1,2]\n{\"command\":\"reboot\"}\n{}\n"));
        await stream.WriteAsync(garbage.Select(b => b == (byte)'\n' ? (byte)'x' : b).Concat("\n"u8.ToArray()).ToArray());
        await stream.WriteAsync("{\"command\":\"status\"}\n"u8.ToArray());
        Assert.StartsWith("not JSON", ErrorOf(await reader.ReadLineAsync()), StringComparison.Ordinal);
        Assert.StartsWith("a request is a JSON object", ErrorOf(await reader.ReadLineAsync()), StringComparison.Ordinal);
        Assert.Equal("unknown command \"reboot\" (status, vm add, vm remove, state show, state save)", ErrorOf(await reader.ReadLineAsync()));
        Assert.StartsWith("the request has no \"command\"", ErrorOf(await reader.ReadLineAsync()), StringComparison.Ordinal);
        Assert.NotNull(ErrorOf(await reader.ReadLineAsync()));
        Assert.True(JsonDocument.Parse(await reader.ReadLineAsync() ?? "{}").RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task An_endless_line_ends_that_connection_only()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        using (var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await raw.ConnectAsync(new UnixDomainSocketEndPoint(control));
            await using var stream = new NetworkStream(raw);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await stream.WriteAsync(Enumerable.Repeat((byte)'{', 70_000).ToArray());
            // The daemon answers and closes with our unread bytes still queued, so the kernel may
            // reset the connection before the answer is read: either way this connection is over.
            try
            {
                Assert.Equal("a request line longer than 65536 bytes; closing", ErrorOf(await reader.ReadLineAsync()));
                Assert.Null(await reader.ReadLineAsync());
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
            }
        }

        Assert.Contains("OSPM", CliProcess.Ctl(control, "status"), StringComparison.Ordinal);
    }

    private static string? ErrorOf(string? line)
    {
        using var answer = JsonDocument.Parse(line ?? throw new InvalidOperationException("the daemon closed the control connection"));
        Assert.False(answer.RootElement.GetProperty("ok").GetBoolean());
        return answer.RootElement.GetProperty("error").GetString();
    }
}
