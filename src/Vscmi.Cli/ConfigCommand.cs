using System.CommandLine;
using Vscmi.Platform.Model;

namespace Vscmi.Cli;

/// <summary><c>vscmi config show</c> and <c>vscmi config check FILE</c>.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var show = new Command("show", "Print the embedded default device model as TOML, to start your own from.");
        show.SetAction(_ =>
        {
            Console.Write(ModelLoader.DefaultModelText);
            return 0;
        });

        var file = new Argument<string>("file") { Description = "The device model (TOML) to validate." };
        var check = new Command("check", "Validate a device model file; errors name file:line:column and the key.") { file };
        check.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            try
            {
                var model = ModelLoader.LoadFile(path);
                Console.WriteLine($"{path}: ok: {Summary(model)}");
                return 0;
            }
            catch (ModelException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });

        var sysfs = new Option<string?>("--sysfs") { Description = "Where sysfs is (default /sys; debugfs is then ROOT/kernel/debug). The model then reads that tree ([host] sysfs)." };
        var control = new Option<bool>("--control") { Description = "Mark every resource 'control = true': agents' changes are written to the host. Without it nothing on the host is ever written." };
        var fromHost = new Command("from-host", "Print a commented device model of this host's hwmon, thermal, IIO and powercap sensors, cpufreq policies, powercap zones, regulators and clocks (docs/host-backends.md). Only reads the host.")
        {
            sysfs, control,
        };
        fromHost.SetAction(parse =>
        {
            var root = parse.GetValue(sysfs);
            if (root is not null && !Directory.Exists(root))
            {
                Console.Error.WriteLine($"error: --sysfs {root}: no such directory");
                return 2;
            }

            var host = root is null ? HostModel.Default : HostModel.Default.WithSysfs(Path.GetFullPath(root));
            var text = Vscmi.Platform.Host.HostDiscovery.Describe(host, parse.GetValue(control));
            try
            {
                // What it wrote must load: a model that does not is a bug here, not the user's.
                var model = ModelLoader.Load(text, "<from-host>");
                Console.Write(text);
                Console.Error.WriteLine($"from-host: {Summary(model)}");
                return 0;
            }
            catch (ModelException e)
            {
                Console.Write(text);
                Console.Error.WriteLine($"error: the model written does not load ({e.Message}); please report it with the host's sysfs layout");
                return 1;
            }
        });

        return new Command("config", "Show, validate or write device models.") { show, check, fromHost };
    }

    public static string Summary(DeviceModel model) =>
        $"{model.Agents.Count} agent(s), {model.PerfDomains.Count} performance domain(s), {model.Clocks.Count} clock(s), " +
        $"{model.Sensors.Count} sensor(s), {model.PowerDomains.Count} power domain(s), {model.ResetDomains.Count} reset domain(s), " +
        $"{model.VoltageDomains.Count} voltage domain(s), {model.PowercapDomains.Count} powercap domain(s)";
}
