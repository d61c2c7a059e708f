using System.Text.Json;

namespace Vscmi.Integration.Tests;

/// <summary><c>vscmi dt</c>, <c>qemu-args</c> and <c>bench</c> as a user runs them.</summary>
public sealed class GuestCommandTests
{
    [Fact]
    public void The_device_tree_compiles_with_dtc_and_has_a_node_per_protocol()
    {
        var (code, dts, stderr) = CliProcess.Run("dt", "--cpus", "little,big", "--timeout-ms", "5000");
        Assert.True(code == 0, stderr);
        using var scratch = ScratchDirectory.Create("vscmi-dt-");
        var directory = scratch.Path;
        var source = Path.Combine(directory, "scmi.dts");
        File.WriteAllText(source, "/dts-v1/;\n" + dts);
        var blob = Path.Combine(directory, "scmi.dtb");
        var (dtcCode, _, dtcErrors) = CliProcess.RunTool("dtc", "-I", "dts", "-O", "dtb", "-o", blob, source);
        Assert.True(dtcCode == 0, $"dtc rejected the output: {dtcErrors}\n{dts}");
        var (_, back, _) = CliProcess.RunTool("dtc", "-I", "dtb", "-O", "dts", blob);
        Assert.Contains("compatible = \"arm,scmi-virtio\";", back, StringComparison.Ordinal);
        Assert.Contains("arm,max-rx-timeout-ms = <0x1388>;", back, StringComparison.Ordinal);
        foreach (var node in new[] { "protocol@11", "protocol@12", "protocol@13", "protocol@14", "protocol@15", "protocol@16", "protocol@17", "protocol@18", "protocol@19" })
            Assert.Contains(node + " {", back, StringComparison.Ordinal);
        Assert.Contains("regulator-name = \"vdd_gpu\";", back, StringComparison.Ordinal);
        Assert.Contains("cpu@1 {", back, StringComparison.Ordinal);
    }

    [Fact]
    public void The_device_tree_follows_the_agents_view()
    {
        var (code, dts, _) = CliProcess.Run("dt", "--agent", "sandbox");
        Assert.Equal(0, code);
        Assert.Contains("regulator-name = \"vdd_io\";", dts, StringComparison.Ordinal);
        Assert.DoesNotContain("vdd_cpu", dts, StringComparison.Ordinal);
        Assert.Contains("performance: 0 little", dts, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_cpus_domains_or_agents_are_named_in_the_error()
    {
        var (code, _, stderr) = CliProcess.Run("dt", "--cpus", "little,medium");
        Assert.Equal(2, code);
        Assert.Contains("'medium'", stderr, StringComparison.Ordinal);
        Assert.Contains("little (0), big (1)", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("qemu-args", "--agent", "nobody");
        Assert.Equal(2, code);
        Assert.Contains("OSPM (1), guest (2), sandbox (3)", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("qemu-args", "--agent", "OSPM");
        Assert.Equal(2, code);
        Assert.Contains("--socket", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Qemu_arguments_attach_the_socket_with_shared_memory()
    {
        var (code, args, _) = CliProcess.Run("qemu-args");
        Assert.Equal(0, code);
        Assert.Contains("-object memory-backend-memfd,id=mem,size=512M,share=on", args, StringComparison.Ordinal);
        Assert.Contains("-machine memory-backend=mem", args, StringComparison.Ordinal);
        Assert.Matches(@"-chardev socket,id=scmi0,path=/\S+/vscmi-guest\.vhost\.sock \\", args);
        Assert.Contains("-device vhost-user-scmi-pci,chardev=scmi0", args, StringComparison.Ordinal);
        Assert.DoesNotContain("reconnect-ms", args, StringComparison.Ordinal); // QEMU 10.0's vhost-user-scmi aborts at start with it
        (code, args, _) = CliProcess.Run("qemu-args", "--server");
        Assert.Equal(0, code);
        Assert.Matches(@"-chardev socket,id=scmi0,path=/\S+/vscmi-guest\.vhost\.sock,server=on,wait=on \\", args);
        (code, args, _) = CliProcess.Run("qemu-args", "--mmio", "--socket", "/run/vm1.sock", "-m", "1G");
        Assert.Equal(0, code);
        Assert.Contains("-device vhost-user-scmi,chardev=scmi0", args, StringComparison.Ordinal);
        Assert.Contains("-global virtio-mmio.force-legacy=false", args, StringComparison.Ordinal);
        Assert.Contains("path=/run/vm1.sock", args, StringComparison.Ordinal);
        Assert.Contains("size=1G", args, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_in_process_reports_rate_and_percentiles_as_JSON()
    {
        var (code, json, stderr) = CliProcess.Run("bench", "--connect", "inproc", "--command", "CLOCK_RATE_GET", "--inflight", "4", "--duration", "0.5", "--json");
        Assert.True(code == 0, stderr);
        using var result = JsonDocument.Parse(json);
        var root = result.RootElement;
        Assert.Equal("CLOCK_RATE_GET", root.GetProperty("command").GetString());
        Assert.Equal(4, root.GetProperty("inflight").GetInt32());
        Assert.True(root.GetProperty("messages").GetInt64() > 100);
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.True(root.GetProperty("p50_us").GetDouble() <= root.GetProperty("p99_us").GetDouble());
        Assert.True(root.GetProperty("p99_us").GetDouble() <= root.GetProperty("p999_us").GetDouble());
        Assert.True(root.GetProperty("daemon_cpu_ns_per_message").GetDouble() > 0); // inproc: this process's CPU
    }

    [Fact]
    public async Task Bench_with_many_VMs_adds_them_drives_them_reports_the_daemon_and_removes_them()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var control = serve.PathOf("control.sock");
        var (code, json, stderr) = CliProcess.Run("bench", "--vms", "3", "--rate", "100", "--duration", "1", "--json", "--control", control);
        Assert.True(code == 0, stderr);
        using (var result = JsonDocument.Parse(json))
        {
            var root = result.RootElement;
            Assert.Equal(3, root.GetProperty("vms").GetInt32());
            Assert.InRange(root.GetProperty("messages").GetInt64(), 30, 400);
            Assert.Equal(0, root.GetProperty("errors").GetInt64());
            Assert.True(root.GetProperty("daemon_cpu_ns_per_message").GetDouble() > 0);
            Assert.True(root.GetProperty("daemon_cpu_percent_of_core").GetDouble() > 0);
        }

        var fan = CliProcess.Run("bench", "--vms", "2", "--fanout-hz", "20", "--duration", "1", "--json", "--control", control);
        Assert.True(fan.ExitCode == 0, fan.Stderr);
        using (var result = JsonDocument.Parse(fan.Stdout))
        {
            Assert.Equal(20, result.RootElement.GetProperty("sent_per_vm").GetInt64());
            Assert.Equal(0, result.RootElement.GetProperty("lost").GetInt64());
        }

        // The VMs were removed: their agents stay in the model (ids are not reused) with no VM socket.
        using (var status = JsonDocument.Parse(CliProcess.Run("ctl", "status", "--json", "--control", control).Stdout))
        {
            var benchAgents = status.RootElement.GetProperty("agents").EnumerateArray().Where(a => a.GetProperty("name").GetString()!.StartsWith("bench-vm", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(benchAgents);
            Assert.All(benchAgents, a => Assert.Equal(JsonValueKind.Null, a.GetProperty("vhost_user").ValueKind));
        }

        Assert.Contains("no fault injected", CliProcess.Run("inject", "list", "--control", control).Stdout, StringComparison.Ordinal);
        Assert.Equal(1, CliProcess.Run("bench", "--vms", "2", "--control", serve.PathOf("nothing.sock")).ExitCode);
        Assert.Equal(2, CliProcess.Run("bench", "--vms", "2").ExitCode);
    }

    [Theory]
    [InlineData("--command", "PROTOCOL_VERSION", "say which")]
    [InlineData("--command", "NO_SUCH_THING", "no SCMI command named")]
    [InlineData("--inflight", "0", "outside 1..1024")]
    public void Bench_explains_bad_options(string option, string value, string expected)
    {
        var (code, _, stderr) = CliProcess.Run("bench", "--connect", "inproc", option, value, "--duration", "0.2");
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
