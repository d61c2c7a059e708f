using System.CommandLine;
using System.Globalization;
using System.Text;
using Vscmi.Platform.Model;

namespace Vscmi.Cli;

/// <summary>
/// <c>vscmi dt</c> and <c>vscmi qemu-args</c>: what a user adds to a VM so its kernel finds the
/// virtio-scmi device we serve (reference 5.4, 4.11).
/// </summary>
internal static class GuestCommands
{
    public static IEnumerable<Command> Create() => [Dt(), QemuArgs()];

    private static Option<string?> ConfigOption() => new("--config") { Description = "Device model (TOML). Default: the embedded model." };

    private static Option<string?> AgentOption() => new("--agent")
    {
        Description = "The agent (VM) the output is for, by name or number: ids in the DT follow its view of the model. Default: the first agent with a 'vhost_user' socket in the model, else agent 1.",
    };

    private static Command Dt()
    {
        var config = ConfigOption();
        var agent = AgentOption();
        var cpus = new Option<string?>("--cpus")
        {
            Description = "Link CPUs to performance domains for cpufreq: a comma-separated list, one entry per CPU in order (domain name or id), e.g. --cpus little,big for cpu@0 and cpu@1. Without it no CPU node is written and cpufreq does not bind.",
        };
        var timeout = new Option<int?>("--timeout-ms") { Description = "Write arm,max-rx-timeout-ms: how long the guest waits for a reply (the virtio transport's default is 60000 ms)." };
        var command = new Command("dt", "Print the device-tree source for the guest: the arm,scmi-virtio node under /firmware with one child per protocol the model has (and CPU links with --cpus). Merge it into the guest's DT (see docs/qemu.md).")
        {
            config, agent, cpus, timeout,
        };
        command.SetAction(parse => Run(() =>
        {
            var model = Load(parse.GetValue(config));
            var agentId = ResolveAgent(model, parse.GetValue(agent));
            Console.Out.Write(DeviceTree(model, agentId, parse.GetValue(cpus), parse.GetValue(timeout)));
        }));
        return command;
    }

    private static Command QemuArgs()
    {
        var config = ConfigOption();
        var agent = AgentOption();
        var socket = new Option<string?>("--socket") { Description = "The vhost-user socket. Default: the agent's 'vhost_user' from the model." };
        var memory = new Option<string>("--memory", "-m") { Description = "Guest RAM size; it must be a shareable memfd for vhost-user.", DefaultValueFactory = _ => "512M" };
        var mmio = new Option<bool>("--mmio") { Description = "Use vhost-user-scmi on virtio-mmio instead of vhost-user-scmi-pci (with the modern virtio-mmio transport Linux needs)." };
        var server = new Option<bool>("--server")
        {
            Description = "QEMU listens on the socket (server=on,wait=on) and 'vscmi serve --vhost-user-client' connects to it: the guest then outlives a restart of the daemon. Without it QEMU connects to 'vscmi serve --vhost-user', and a daemon restart leaves the device dead until the VM restarts (docs/operations.md).",
        };
        var command = new Command("qemu-args", "Print the QEMU options that attach a VM to a vhost-user socket of 'vscmi serve' (QEMU 8.1 or newer has vhost-user-scmi).")
        {
            config, agent, socket, memory, mmio, server,
        };
        command.SetAction(parse => Run(() =>
        {
            var model = Load(parse.GetValue(config));
            var agentId = ResolveAgent(model, parse.GetValue(agent));
            var path = parse.GetValue(socket) ?? model.Agents[agentId - 1].VhostUser
                ?? throw new FormatException($"agent {model.Agents[agentId - 1].Name} has no 'vhost_user' socket in the model; give --socket PATH");
            Console.Out.Write(QemuArguments(Path.GetFullPath(path), parse.GetValue(memory)!, parse.GetValue(mmio), parse.GetValue(server)));
        }));
        return command;
    }

    private static int Run(Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (ModelException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static DeviceModel Load(string? path) => path is null ? ModelLoader.LoadDefault() : ModelLoader.LoadFile(path);

    /// <summary>The agent the output is for: the one named, else the first with a VM socket, else agent 1.</summary>
    internal static int ResolveAgent(DeviceModel model, string? text)
    {
        if (text is not null)
            return AgentArgument.Resolve(model, text);
        var withVm = model.Agents.ToList().FindIndex(a => a.VhostUser is not null);
        return withVm >= 0 ? withVm + 1 : 1;
    }

    /// <summary>The agent's view of one kind: global ids in the order of its own ids.</summary>
    private static int[] View(DeviceModel model, int agentId, ResourceKind kind, int total) =>
        model.Agents[agentId - 1].Views.TryGetValue(kind, out var view) ? view : [.. Enumerable.Range(0, total)];

    internal static string DeviceTree(DeviceModel model, int agentId, string? cpus, int? timeoutMs)
    {
        var agent = model.Agents[agentId - 1];
        var perf = View(model, agentId, ResourceKind.Perf, model.PerfDomains.Count);
        var voltages = View(model, agentId, ResourceKind.VoltageDomain, model.VoltageDomains.Count);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"// SCMI over virtio for agent {agent.Name} ({agentId}) of {model.Platform.Vendor}/{model.Platform.SubVendor}, by 'vscmi dt'.");
        text.AppendLine("// Merge into the guest's DT source (nodes at the same path merge), e.g. cat qemu-virt.dts this.dts | dtc -I dts -O dtb.");
        text.AppendLine("/ {");
        text.AppendLine("\tfirmware {");
        text.AppendLine("\t\tscmi {");
        text.AppendLine("\t\t\tcompatible = \"arm,scmi-virtio\";");
        text.AppendLine("\t\t\t#address-cells = <1>;");
        text.AppendLine("\t\t\t#size-cells = <0>;");
        if (timeoutMs is { } timeout)
            text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\tarm,max-rx-timeout-ms = <{timeout}>;");
        void Protocol(string label, int id, string cells, string comment)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t{label}: protocol@{id:x} {{ // {comment}");
            text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t\treg = <0x{id:x}>;");
            if (cells.Length > 0)
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t\t{cells}");
            text.AppendLine("\t\t\t};");
        }

        // Only protocols the model's release has (SCMI 2.0: no voltage, power capping or pin control):
        // Linux rejects a protocol node the platform does not list ("SCMI protocol 23 not implemented").
        bool Served(Vscmi.Protocol.ScmiProtocolId protocol) => model.Release.VersionOf(protocol) is not null;
        if (View(model, agentId, ResourceKind.PowerDomain, model.PowerDomains.Count).Length > 0)
            Protocol("scmi_devpd", 0x11, "#power-domain-cells = <1>;", "power domains (genpd)");
        Protocol("scmi_sys", 0x12, "", "system power (shutdown/reboot requests)");
        if (perf.Length > 0)
            Protocol("scmi_dvfs", 0x13, "#clock-cells = <1>;", $"performance: {string.Join(", ", perf.Select((g, l) => $"{l} {model.PerfDomains[g].Name}"))}");
        if (View(model, agentId, ResourceKind.Clock, model.Clocks.Count).Length > 0)
            Protocol("scmi_clk", 0x14, "#clock-cells = <1>;", "clocks");
        if (View(model, agentId, ResourceKind.Sensor, model.Sensors.Count).Length > 0)
            Protocol("scmi_sns", 0x15, "#thermal-sensor-cells = <1>;", "sensors (hwmon)");
        if (View(model, agentId, ResourceKind.ResetDomain, model.ResetDomains.Count).Length > 0)
            Protocol("scmi_rst", 0x16, "#reset-cells = <1>;", "reset domains");
        if (voltages.Length > 0 && Served(Vscmi.Protocol.ScmiProtocolId.VOLTAGE))
        {
            text.AppendLine("\t\t\tscmi_volt: protocol@17 { // voltage domains (regulators)");
            text.AppendLine("\t\t\t\treg = <0x17>;");
            text.AppendLine("\t\t\t\tregulators {");
            text.AppendLine("\t\t\t\t\t#address-cells = <1>;");
            text.AppendLine("\t\t\t\t\t#size-cells = <0>;");
            for (var local = 0; local < voltages.Length; local++)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t\t\tregulator@{local:x} {{");
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t\t\t\treg = <0x{local:x}>;");
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\t\t\t\tregulator-name = \"{model.VoltageDomains[voltages[local]].Name}\";");
                text.AppendLine("\t\t\t\t\t};");
            }

            text.AppendLine("\t\t\t\t};");
            text.AppendLine("\t\t\t};");
        }

        if (model.PowercapDomains.Count > 0 && Served(Vscmi.Protocol.ScmiProtocolId.POWERCAP))
            Protocol("scmi_pcap", 0x18, "", "power capping");
        if (model.Pinctrl is { Pins.Count: > 0 } && Served(Vscmi.Protocol.ScmiProtocolId.PINCTRL))
            Protocol("scmi_pinc", 0x19, "", "pin control");
        text.AppendLine("\t\t};");
        text.AppendLine("\t};");

        if (cpus is not null)
        {
            if (perf.Length == 0)
                throw new FormatException($"--cpus: agent {agent.Name} sees no performance domain");
            text.AppendLine("\tcpus {");
            var entries = cpus.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var cpu = 0; cpu < entries.Length; cpu++)
            {
                var local = Array.FindIndex(perf, g => model.PerfDomains[g].Name == entries[cpu]);
                if (local < 0 && (!int.TryParse(entries[cpu], NumberStyles.None, CultureInfo.InvariantCulture, out local) || local >= perf.Length))
                    throw new FormatException($"--cpus: '{entries[cpu]}' is not one of agent {agent.Name}'s performance domains: {string.Join(", ", perf.Select((g, l) => $"{model.PerfDomains[g].Name} ({l})"))}");
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\tcpu@{cpu:x} {{");
                text.AppendLine(CultureInfo.InvariantCulture, $"\t\t\tclocks = <&scmi_dvfs {local}>; // {model.PerfDomains[perf[local]].Name}");
                text.AppendLine("\t\t};");
            }

            text.AppendLine("\t};");
        }

        text.AppendLine("};");
        return text.ToString();
    }

    internal static string QemuArguments(string socket, string memory, bool mmio, bool server = false)
    {
        List<string> lines = [
            $"-object memory-backend-memfd,id=mem,size={memory},share=on",
            "-machine memory-backend=mem",
            // Not reconnect-ms: QEMU 10.0's vhost-user-scmi sets the device up at start before the
            // reconnecting chardev has connected, fails ("Failed to set msg fds") and aborts (seen in
            // the e2e test). Where the guest must outlive a daemon restart QEMU listens instead
            // (server=on,wait=on: it starts once vscmi has connected) and vscmi reconnects to it.
            server ? $"-chardev socket,id=scmi0,path={socket},server=on,wait=on" : $"-chardev socket,id=scmi0,path={socket}",
        ];
        if (mmio)
        {
            // QEMU's virtio-mmio transports are legacy by default, which hides feature bit 32
            // (VIRTIO_F_VERSION_1); Linux's SCMI driver then refuses the device ("does not comply
            // with spec version 1.x"), seen in the e2e test.
            lines.Add("-global virtio-mmio.force-legacy=false");
            lines.Add("-device vhost-user-scmi,chardev=scmi0");
        }
        else
        {
            lines.Add("-device vhost-user-scmi-pci,chardev=scmi0");
        }

        return string.Join(" \\\n", lines) + "\n";
    }
}
