using System.Globalization;
using System.Text;
using Vscmi.Platform.Model;

namespace Vscmi.Soak;

/// <summary>One agent of the soak model: its name, how it connects, and what it must see.</summary>
/// <param name="Name">The agent's name (BASE_DISCOVER_AGENT answers it).</param>
/// <param name="Id">Its agent id (model order, from 1).</param>
/// <param name="Socket">The Unix socket the daemon serves it on.</param>
/// <param name="IsVm">True: a vhost-user socket (a VM's virtio-scmi device); false: a stream socket.</param>
/// <param name="Clocks">The clocks of its view, by name, in the order of its ids; null: every clock.</param>
/// <param name="Sensors">The sensors of its view, likewise.</param>
internal sealed record SoakAgent(string Name, int Id, string Socket, bool IsVm, string[]? Clocks, string[]? Sensors);

/// <summary>
/// The soak's device model: the default model's resources with 16 VM agents (vhost-user), 16
/// stream agents, and one agent for each hostile actor. Each well-behaved agent sees two clocks and
/// one sensor of its own choosing (the permission invariants are checked against these lists);
/// <c>os0</c> is trusted, sees every clock and alone writes <c>display_pixel</c>, whose rate must
/// survive the daemon's restart from its state file.
/// </summary>
internal sealed class SoakModel
{
    public const int WellBehavedPerKind = 16;

    /// <summary>The clock only os0 writes (its rate is the state checked across the restart).</summary>
    public const string StateClock = "display_pixel";

    public SoakModel(string directory)
    {
        var defaults = ModelLoader.LoadDefault();
        var clocks = defaults.Clocks.Select(c => c.Name).ToArray();
        var sensors = defaults.Sensors.Select(s => s.Name).ToArray();
        var agents = new List<SoakAgent>();
        for (var i = 0; i < WellBehavedPerKind; i++)
        {
            agents.Add(new SoakAgent($"os{i}", 0, System.IO.Path.Combine(directory, $"os{i}.sock"), false,
                i == 0 ? null : [clocks[i % clocks.Length], clocks[(i + 3) % clocks.Length]], [sensors[i % sensors.Length]]));
        }

        for (var i = 0; i < WellBehavedPerKind; i++)
        {
            agents.Add(new SoakAgent($"vm{i}", 0, System.IO.Path.Combine(directory, $"vm{i}.sock"), true,
                [clocks[(i + 5) % clocks.Length], clocks[(i + 1) % clocks.Length]], [sensors[(i + 2) % sensors.Length]]));
        }

        foreach (var (name, vm) in Hostile)
            agents.Add(new SoakAgent(name, 0, System.IO.Path.Combine(directory, $"{name}.sock"), vm, null, null));
        Agents = [.. agents.Select((a, i) => a with { Id = i + 1 })];
        Path = System.IO.Path.Combine(directory, "soak-model.toml");
        File.WriteAllText(Path, Text(ModelLoader.DefaultModelText));
        ModelLoader.LoadFile(Path); // fails here, with file:line, if the generated model is wrong
    }

    /// <summary>The hostile actors' agents: (name, is a VM).</summary>
    public static readonly (string Name, bool Vm)[] Hostile =
    [
        ("h-malformed", false), ("h-storm", false), ("h-connlimit", false), ("h-flood", false),
        ("h-ring", true), ("h-kill9", true), ("h-vhostjunk", true), ("h-unsealed", true),
    ];

    /// <summary>Every agent, in id order.</summary>
    public IReadOnlyList<SoakAgent> Agents { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The flood agent's command rate, low enough that a flood goes over it at once.</summary>
    public const int FloodRate = 2000;

    /// <summary>Connections the connection-limit actor's agent may hold.</summary>
    public const int ConnectionLimit = 4;

    private string Text(string defaults)
    {
        // The default model without its agents, then ours (agents may come after the resources).
        var lines = defaults.Split('\n');
        var text = new StringBuilder();
        var inAgent = false;
        foreach (var line in lines)
        {
            if (line.StartsWith('['))
                inAgent = line.StartsWith("[[agent]]", StringComparison.Ordinal);
            if (!inAgent)
                text.Append(line).Append('\n');
        }

        foreach (var agent in Agents)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[[agent]]\nname = \"{agent.Name}\"\n");
            text.Append(CultureInfo.InvariantCulture, $"{(agent.IsVm ? "vhost_user" : "socket")} = \"{agent.Socket}\"\n");
            if (agent.Name == "os0")
                text.Append("trusted = true\n");
            if (agent.Clocks is { } c)
                text.Append(CultureInfo.InvariantCulture, $"clocks = [{string.Join(", ", c.Select(n => $"\"{n}\""))}]\n");
            if (agent.Sensors is { } s)
                text.Append(CultureInfo.InvariantCulture, $"sensors = [{string.Join(", ", s.Select(n => $"\"{n}\""))}]\n");
            if (agent.Name == "h-flood")
                text.Append(CultureInfo.InvariantCulture, $"commands_per_second = {FloodRate}\ncommand_burst = 200\n");
            if (agent.Name == "h-connlimit")
                text.Append(CultureInfo.InvariantCulture, $"max_connections = {ConnectionLimit}\n");
        }

        return text.ToString();
    }
}
