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
        Assert.Equal(0, agents[0].GetProperty("sessions_closed").GetInt64());
        Assert.True(agents[0].GetProperty("commands").GetInt64() >= 4);
        Assert.Equal(JsonValueKind.Null, agents[2].GetProperty("vhost_user").ValueKind);

        var vm = serve.PathOf("sandbox.sock");
        Assert.Contains($"serving sandbox (agent id 3) on {vm}", CliProcess.Ctl(control, "vm", "add", "sandbox", "--vhost-user", vm), StringComparison.Ordinal);
        await using (var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(vm)))
        {
            Assert.Equal("sandbox", (await guest.Base.DiscoverAgentAsync(0xFFFFFFFF)).Name);
            Assert.Equal(2, await guest.Clock.GetClockCountAsync()); // the sandbox's own view
            Assert.Contains("sandbox: vm " + vm + ", 1 session(s)", CliProcess.Ctl(control, "status"), StringComparison.Ordinal);
        }

        // The sandbox's one channel closed with its frontend: counted, so a reconnect between two polls shows.
        await Poll.Until(() => JsonDocument.Parse(CliProcess.Ctl(control, "status", "--json")).RootElement.GetProperty("agents")[2].GetProperty("sessions_closed").GetInt64() == 1,
            "sessions_closed 1 for the sandbox");
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

        File.WriteAllText(serve.PathOf("view.toml"), "trusted = false\nclocks = [\"uart0\", \"nope\"]\n");
        var (code, _, stderr) = CliProcess.Run("ctl", "vm", "add", "nobody", "--vhost-user", serve.PathOf("x.sock"), "--view", serve.PathOf("view.toml"), "--control", control);
        Assert.Equal(1, code);
        Assert.Contains($"cannot add agent \"nobody\": {serve.PathOf("view.toml")}:2:20: 'nope' in 'clocks' of the top level is not one of the model's clocks", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("ctl", "vm", "add", "guest", "--vhost-user", serve.PathOf("x.sock"), "--view", serve.PathOf("view.toml"), "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("agent \"guest\" is in the model already; its view is the model's", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("ctl", "vm", "add", "vm9", "--vhost-user", serve.PathOf("x.sock"), "--view", serve.PathOf("missing.toml"), "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("cannot read the view file", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("ctl", "reload", "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("the daemon serves the embedded default model (started without --config FILE)", stderr, StringComparison.Ordinal);
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
        Assert.Equal("unknown command \"reboot\" (status, reload, vm add, vm remove, state show, state save, inject add, inject list, inject clear, inject event, trace)", ErrorOf(await reader.ReadLineAsync()));
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

    [Fact]
    public async Task A_reload_applies_a_new_sensor_source_under_a_connected_agent_and_refuses_a_renumbering()
    {
        using var scratch = ScratchDirectory.Create("vscmi-reload-");
        var directory = scratch.Path;
        var model = Path.Combine(directory, "model.toml");
        var text = Vscmi.Platform.Model.ModelLoader.DefaultModelText;
        File.WriteAllText(model, text);
        await using var serve = await ServeProcess.StartAsync("--config", model, "--socket", "sandbox={dir}/sandbox.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        await using var sandbox = await ScmiClient.ConnectAsync("unix:" + serve.PathOf("sandbox.sock"));
        Assert.NotEqual(71_000, (await sandbox.Sensor.ReadAsync(1))[0].Value); // cpu_temp: a sine around 45 °C

        File.WriteAllText(model, text.Replace("source = { kind = \"sine\", base = 45000, amplitude = 5000, period_s = 60 }", "source = { kind = \"constant\", value = 71000 }", StringComparison.Ordinal));
        var reloaded = CliProcess.Ctl(control, "reload");
        Assert.Contains("1 change(s)", reloaded, StringComparison.Ordinal);
        Assert.Contains("sensor 'cpu_temp': source sine(base 45000, amplitude 5000, period 60 s) → constant(71000)", reloaded, StringComparison.Ordinal);
        Assert.Equal(71_000, (await sandbox.Sensor.ReadAsync(1))[0].Value); // the same connection, the new source

        // The sandbox sees gpu_temp, cpu_temp: dropping cpu_temp from its view while it is connected is refused.
        File.WriteAllText(model, text.Replace("sensors = [\"gpu_temp\", \"cpu_temp\"]", "sensors = [\"gpu_temp\"]", StringComparison.Ordinal));
        var (code, _, stderr) = CliProcess.Run("ctl", "reload", "--control", control);
        Assert.Equal(1, code);
        Assert.Contains("reload refused, nothing changed: agent 'sandbox' is connected and its view would change: its sensor 1 'cpu_temp' would go", stderr, StringComparison.Ordinal);
        Assert.Equal(71_000, (await sandbox.Sensor.ReadAsync(1))[0].Value);

        // An invalid file: refused with file:line, by SIGHUP as well; the log says so.
        File.WriteAllText(model, text + "\n[[bogus]]\n");
        (code, _, stderr) = CliProcess.Run("ctl", "reload", "--control", control);
        Assert.Equal(1, code);
        Assert.Contains($"{model}:", stderr, StringComparison.Ordinal);
        Assert.Contains("unknown key 'bogus'", stderr, StringComparison.Ordinal);
        File.WriteAllText(model, text);
        Assert.Equal(0, CliProcess.RunTool("kill", "-HUP", serve.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);
        await Poll.Until(() => serve.Output.Contains("reload (SIGHUP): " + model + " applied, 1 change(s)", StringComparison.Ordinal), "the SIGHUP reload in the log");
        Assert.NotEqual(71_000, (await sandbox.Sensor.ReadAsync(1))[0].Value);
        Assert.Contains("reload: sensor 'cpu_temp': source constant(71000) → sine(base 45000, amplitude 5000, period 60 s)", serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_nohup_SIGHUP_stays_ignored_the_log_says_so_and_ctl_reload_still_works()
    {
        using var scratch = ScratchDirectory.Create("vscmi-nohup-");
        var directory = scratch.Path;
        var model = Path.Combine(directory, "model.toml");
        var text = Vscmi.Platform.Model.ModelLoader.DefaultModelText;
        File.WriteAllText(model, text);
        // nohup sets SIGHUP ignored and execs: the daemon starts with it ignored, as a user's would.
        var launcher = Path.Combine(directory, "vscmi-nohup");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec nohup '{Path.Combine(CliProcess.RepositoryRoot, "vscmi")}' \"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var serve = await ServeProcess.StartAsync(launcher, (IReadOnlyDictionary<string, string>?)null, "--config", model, "--socket", "{dir}/ospm.sock", "--control", "{dir}/control.sock");
        await Poll.Until(() => serve.Output.Contains("SIGHUP is ignored by this process", StringComparison.Ordinal), "the log line that SIGHUP is ignored");

        // A SIGHUP neither reloads nor ends the daemon; 'vscmi ctl reload' does reload.
        File.WriteAllText(model, text.Replace("rate_limit_us = 1000", "rate_limit_us = 2000", StringComparison.Ordinal));
        Assert.Equal(0, CliProcess.RunTool("kill", "-HUP", serve.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);
        var reloaded = CliProcess.Ctl(serve.PathOf("control.sock"), "reload");
        Assert.Contains("2 change(s)", reloaded, StringComparison.Ordinal);
        Assert.DoesNotContain("reload (SIGHUP)", serve.Output, StringComparison.Ordinal);
        Assert.Equal(0, await serve.StopAsync());
    }

    [Fact]
    public async Task A_VM_added_with_a_new_agent_is_served_again_after_a_kill_9()
    {
        using var scratch = ScratchDirectory.Create("vscmi-vmadd-");
        var directory = scratch.Path;
        var state = Path.Combine(directory, "state.json");
        var vm = Path.Combine(directory, "vm9.sock");
        File.WriteAllText(Path.Combine(directory, "view.toml"), "clocks = [\"uart0\"]\nsensors = [\"soc_power\", \"cpu_temp\"]\n");
        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            var added = CliProcess.Ctl(serve.PathOf("control.sock"), "vm", "add", "vm9", "--vhost-user", vm, "--view", Path.Combine(directory, "view.toml"));
            Assert.Contains($"serving vm9 (agent id 4) on {vm}", added, StringComparison.Ordinal);
            await using (var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(vm)))
            {
                Assert.Equal("vm9", (await guest.Base.DiscoverAgentAsync(0xFFFFFFFF)).Name);
                Assert.Equal(1, await guest.Clock.GetClockCountAsync());
                await guest.Clock.SetRateAsync(0, 48_000_000); // uart0
            }

            await Poll.Until(() => File.Exists(state) && File.ReadAllText(state).Contains("\"vm9\"", StringComparison.Ordinal) && File.ReadAllText(state).Contains("48000000", StringComparison.Ordinal),
                "the state file to hold vm9 and its rate");
            Assert.Equal(137, await serve.StopAsync("KILL"));
        }

        await using (var serve = await ServeProcess.StartAsync("--socket", "{dir}/ospm.sock", "--state", state, "--control", "{dir}/control.sock"))
        {
            Assert.Contains("state: restored from " + state, serve.Output, StringComparison.Ordinal);
            Assert.Contains("vm9: vm " + vm, CliProcess.Ctl(serve.PathOf("control.sock"), "status"), StringComparison.Ordinal);
            await using var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(vm));
            Assert.Equal("vm9", (await guest.Base.DiscoverAgentAsync(0xFFFFFFFF)).Name);
            Assert.Equal(48_000_000UL, await guest.Clock.GetRateAsync(0));
            Assert.Equal(2, await guest.Sensor.DescribeAsync().CountAsync());
            Assert.Contains("removed vm9", CliProcess.Ctl(serve.PathOf("control.sock"), "vm", "remove", "vm9"), StringComparison.Ordinal);
        }
    }

    private static string? ErrorOf(string? line)
    {
        using var answer = JsonDocument.Parse(line ?? throw new InvalidOperationException("the daemon closed the control connection"));
        Assert.False(answer.RootElement.GetProperty("ok").GetBoolean());
        return answer.RootElement.GetProperty("error").GetString();
    }
}
