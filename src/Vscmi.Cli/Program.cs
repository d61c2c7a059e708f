using System.CommandLine;
using Vscmi.Cli;

var root = new RootCommand(
    "vscmi: an Arm SCMI (System Control and Management Interface) platform, agent and tools.\n" +
    "Run 'vscmi COMMAND --help' for the options of a command.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
foreach (var command in ClientCommands.Create())
    root.Subcommands.Add(command);
root.Subcommands.Add(DecodeCommand.Create());
foreach (var command in GuestCommands.Create())
    root.Subcommands.Add(command);
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(Vscmi.Cli.Control.CtlCommand.Create());
return root.Parse(args).Invoke();
