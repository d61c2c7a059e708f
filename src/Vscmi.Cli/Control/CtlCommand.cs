using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vscmi.Cli.Control;

/// <summary><c>vscmi ctl</c>: the client of a running daemon's control socket (docs/control.md).</summary>
internal static class CtlCommand
{
    /// <summary>Where the systemd unit's daemon listens.</summary>
    public const string DefaultPath = "/run/vscmi/control.sock";

    public static Command Create()
    {
        var control = new Option<string>("--control")
        {
            Description = $"The daemon's control socket ('vscmi serve --control PATH'). Default: {DefaultPath}.",
            DefaultValueFactory = _ => DefaultPath,
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the daemon's JSON answer as it is.", Recursive = true };

        var status = new Command("status", "Agents, their VM sockets, open sessions, commands answered and events waiting.");
        status.SetAction(parse => Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "status"), PrintStatus));

        var name = new Argument<string>("NAME") { Description = "The VM's agent: one of the model's, or a new name (a new agent gets the next agent id)." };
        var socket = new Option<string?>("--vhost-user") { Description = "The vhost-user socket to serve for it: the daemon listens and QEMU's vhost-user-scmi chardev connects there." };
        var client = new Option<string?>("--vhost-user-client")
        {
            Description = "Instead of --vhost-user: the socket QEMU listens on (-chardev socket,...,server=on,wait=on); the daemon connects, and again after a restart, so the guest outlives one.",
        };
        var view = new Option<string?>("--view")
        {
            Description = "For a new agent: a TOML file with what an [[agent]] table holds besides name and sockets ('trusted', and lists of the resources it sees by name: sensors = [...], clocks = [...]). Default: an untrusted agent that sees everything.",
        };
        var add = new Command("add", "Serve a VM's socket while the other VMs run (a libvirt hook or VM manager calls this). The agent and socket are kept in the state file: a restarted daemon serves them again.") { name, socket, client, view };
        add.SetAction(parse =>
        {
            if ((parse.GetValue(socket) is null) == (parse.GetValue(client) is null))
            {
                Console.Error.WriteLine("error: vm add needs one of --vhost-user PATH (the daemon listens) or --vhost-user-client PATH (QEMU listens)");
                return 2;
            }

            string? viewText = null;
            if (parse.GetValue(view) is { } viewPath)
            {
                try
                {
                    viewText = File.ReadAllText(viewPath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"error: cannot read the view file {viewPath}: {e.Message}");
                    return 1;
                }
            }

            return Run(parse.GetValue(control)!, parse.GetValue(json), w =>
            {
                w.WriteString("command", "vm add");
                w.WriteString("name", parse.GetValue(name));
                if (parse.GetValue(socket) is { } listen)
                    w.WriteString("vhost_user", Path.GetFullPath(listen));
                else
                    w.WriteString("vhost_user_client", Path.GetFullPath(parse.GetValue(client)!));
                if (viewText is not null)
                {
                    w.WriteString("view", viewText);
                    w.WriteString("view_file", parse.GetValue(view));
                }
            }, answer => Console.WriteLine($"serving {answer.GetProperty("name").GetString()} (agent id {answer.GetProperty("agent_id").GetInt32()}) on {answer.GetProperty("vhost_user").GetString()}"));
        });

        var reload = new Command("reload", "Read the daemon's model file again (as SIGHUP does) and apply it when every agent keeps its ids: sensor sources, latencies, OPPs, trust, new agents. A change that would renumber what an agent sees is refused and nothing changes. Prints the changes.");
        reload.SetAction(parse => Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "reload"), answer =>
        {
            var changes = answer.GetProperty("changes");
            Console.WriteLine($"reloaded {answer.GetProperty("config").GetString()}: {changes.GetArrayLength()} change(s)");
            foreach (var change in changes.EnumerateArray())
                Console.WriteLine($"  {change.GetString()}");
        }));

        var removeName = new Argument<string>("NAME") { Description = "The agent whose VM socket to close." };
        var remove = new Command("remove", "Stop serving an agent's VM socket (its QEMU is disconnected).") { removeName };
        remove.SetAction(parse => Run(parse.GetValue(control)!, parse.GetValue(json), w =>
        {
            w.WriteString("command", "vm remove");
            w.WriteString("name", parse.GetValue(removeName));
        }, answer => Console.WriteLine($"removed {answer.GetProperty("name").GetString()}")));

        var vm = new Command("vm", "Add or remove a VM's socket at run time.") { add, remove };

        var show = new Command("show", "Print the resources' state as the state file holds it (JSON and its checksum line).");
        show.SetAction(parse => Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "state show"),
            answer => Console.Write(answer.GetProperty("state").GetString())));
        var save = new Command("save", "Write the state file now (serve --state PATH).");
        save.SetAction(parse => Run(parse.GetValue(control)!, parse.GetValue(json), w => w.WriteString("command", "state save"),
            answer => Console.WriteLine($"{(answer.GetProperty("written").GetBoolean() ? "written" : "unchanged")}: {answer.GetProperty("path").GetString()}")));
        var stateCommand = new Command("state", "The resources' state that survives a restart.") { show, save };
        return new Command("ctl", "Talk to a running 'vscmi serve' through its control socket.") { control, json, status, reload, vm, stateCommand };
    }

    internal static int Run(string path, bool json, Action<Utf8JsonWriter> request, Action<JsonElement> print)
    {
        string line;
        try
        {
            line = Request(path, ControlServer.Json(request));
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            Console.Error.WriteLine($"error: cannot talk to the daemon at {path}: {e.Message} (is 'vscmi serve --control {path}' running, and is the socket yours?)");
            return 1;
        }

        using var answer = JsonDocument.Parse(line);
        if (!answer.RootElement.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
        {
            Console.Error.WriteLine($"error: {(answer.RootElement.TryGetProperty("error", out var error) ? error.GetString() : line)}");
            return 1;
        }

        if (json)
            Console.WriteLine(line);
        else
            print(answer.RootElement);
        return 0;
    }

    /// <summary>One request and its answer line on a connection of its own.</summary>
    /// <exception cref="SocketException">The socket cannot be reached.</exception>
    /// <exception cref="IOException">The daemon hung up without answering.</exception>
    internal static string Request(string path, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        stream.Write(Encoding.UTF8.GetBytes(request + "\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadLine() ?? throw new IOException("the daemon closed the connection without answering");
    }

    private static void PrintStatus(JsonElement status)
    {
        Console.WriteLine($"vscmi {status.GetProperty("vendor").GetString()}, pid {status.GetProperty("pid").GetInt32()}");
        foreach (var agent in status.GetProperty("agents").EnumerateArray())
        {
            var vm = agent.GetProperty("vhost_user").ValueKind == JsonValueKind.String ? $" vm {agent.GetProperty("vhost_user").GetString()}," : "";
            Console.WriteLine($"  {agent.GetProperty("id").GetInt32()} {agent.GetProperty("name").GetString()}:{vm} " +
                $"{agent.GetProperty("sessions").GetInt32()} session(s), {agent.GetProperty("commands").GetInt64()} commands, " +
                $"{agent.GetProperty("events_waiting").GetInt32()} events waiting, {agent.GetProperty("notifications_dropped").GetInt32()} dropped");
        }
    }
}
