using System.CommandLine;
using Vscmi.Cli;

var root = new RootCommand(
    "vscmi: an Arm SCMI (System Control and Management Interface) platform, agent and tools.\n" +
    "Run 'vscmi COMMAND --help' for the options of a command.");
// The daemon (and its control client) build only their own command: the other ~40 cost about
// 2 ms of the native binary's start, which systemd waits for before READY=1 (docs/performance.md).
if (args.Length > 0 && args[0] == "serve")
{
    root.Subcommands.Add(ServeCommand.Create());
}
else if (args.Length > 0 && args[0] == "ctl")
{
    root.Subcommands.Add(Vscmi.Cli.Control.CtlCommand.Create());
}
else
{
    root.Subcommands.Add(ServeCommand.Create());
    root.Subcommands.Add(ConfigCommand.Create());
    foreach (var command in ClientCommands.Create())
        root.Subcommands.Add(command);
    root.Subcommands.Add(DecodeCommand.Create());
    foreach (var command in GuestCommands.Create())
        root.Subcommands.Add(command);
    root.Subcommands.Add(BenchCommand.Create());
    root.Subcommands.Add(Vscmi.Cli.Control.CtlCommand.Create());
    foreach (var command in TraceCommands.Create())
        root.Subcommands.Add(command);
    root.Subcommands.Add(Vscmi.Cli.Control.InjectCommand.Create());
    root.Subcommands.Add(Vscmi.Cli.Control.ScenarioCommand.Create());
}

return root.Parse(args).Invoke();
