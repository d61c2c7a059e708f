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

        return new Command("config", "Show or validate device models.") { show, check };
    }

    public static string Summary(DeviceModel model) =>
        $"{model.Agents.Count} agent(s), {model.PerfDomains.Count} performance domain(s), {model.Clocks.Count} clock(s), " +
        $"{model.Sensors.Count} sensor(s), {model.PowerDomains.Count} power domain(s), {model.ResetDomains.Count} reset domain(s), " +
        $"{model.VoltageDomains.Count} voltage domain(s)";
}
