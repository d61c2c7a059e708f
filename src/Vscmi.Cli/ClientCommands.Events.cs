using System.CommandLine;
using System.Text.Json;
using Vscmi.Agent;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Cli;

/// <summary>events (every notification, one line each) and permissions (the Base protocol's privileged commands).</summary>
internal static partial class ClientCommands
{
    private static Command EventsCommand()
    {
        var connect = ConnectOption();
        var json = new Option<bool>("--json") { Description = "One JSON object per line (JSON Lines), for scripts." };
        var count = new Option<int>("--count") { Description = "Stop after this many notifications (0: until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var command = new Command("events",
            "Subscribe to every notification the platform offers this agent (power states, performance levels and limits, clock rates, resets, power caps, sensor trip points, system power) and print each as it arrives, with the agent that caused it, until Ctrl-C.")
        { connect, json, count };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, c => EventsAsync(c, parse.GetValue(json), parse.GetValue(count), ct)));
        return command;
    }

    private static async Task EventsAsync(ScmiClient c, bool json, int count, CancellationToken ct)
    {
        var subscriptions = await SubscribeEverythingAsync(c, ct);
        await global::System.Console.Error.WriteLineAsync($"events: {subscriptions} subscriptions; waiting for notifications (Ctrl-C to stop)");
        var seen = 0;
        using var stdout = global::System.Console.OpenStandardOutput();
        try
        {
            await foreach (var n in c.ReadNotificationsAsync(ct))
            {
                if (json)
                {
                    using (var writer = new Utf8JsonWriter(stdout))
                    {
                        writer.WriteStartObject();
                        writer.WriteString("time", DateTime.UtcNow.ToString("O", global::System.Globalization.CultureInfo.InvariantCulture));
                        writer.WritePropertyName("message");
                        ScmiFormatter.WriteJson(writer, n);
                        writer.WriteEndObject();
                    }

                    stdout.WriteByte((byte)'\n');
                    await stdout.FlushAsync(ct);
                }
                else
                {
                    global::System.Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {ScmiFormatter.Format(n)}");
                }

                if (count > 0 && ++seen >= count)
                    return;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Every *_NOTIFY this agent may send, for every resource it sees; refusals (a platform without some) are skipped.</summary>
    private static async Task<int> SubscribeEverythingAsync(ScmiClient c, CancellationToken ct)
    {
        var done = 0;
        async Task Try(Func<Task> subscribe)
        {
            try
            {
                await subscribe();
                done++;
            }
            catch (ScmiStatusException)
            {
                // Not offered for this resource (or no such protocol): nothing to watch there.
            }
        }

        var info = await c.Base.DiscoverAsync(ct);
        var protocols = info.Protocols.ToHashSet();
        if (protocols.Contains((byte)ScmiProtocolId.POWER))
        {
            for (uint id = 0; id < await c.Power.GetDomainCountAsync(ct); id++)
                await Try(() => c.Power.NotifyStateAsync(id, true, ct));
        }

        if (protocols.Contains((byte)ScmiProtocolId.SYSTEM))
            await Try(() => c.System.NotifyAsync(true, ct));
        if (protocols.Contains((byte)ScmiProtocolId.PERF))
        {
            for (uint id = 0; id < await c.Perf.GetDomainCountAsync(ct); id++)
            {
                await Try(() => c.Perf.NotifyLevelAsync(id, true, ct));
                await Try(() => c.Perf.NotifyLimitsAsync(id, true, ct));
            }
        }

        if (protocols.Contains((byte)ScmiProtocolId.CLOCK))
        {
            for (uint id = 0; id < await c.Clock.GetClockCountAsync(ct); id++)
                await Try(() => c.Clock.NotifyRateAsync(id, true, ct));
        }

        if (protocols.Contains((byte)ScmiProtocolId.SENSOR))
        {
            await foreach (var sensor in c.Sensor.DescribeAsync(ct))
            {
                if (sensor.TripPoints > 0)
                    await Try(() => c.Sensor.NotifyTripPointsAsync(sensor.Id, true, ct));
            }
        }

        if (protocols.Contains((byte)ScmiProtocolId.RESET))
        {
            for (uint id = 0; id < await c.Reset.GetDomainCountAsync(ct); id++)
                await Try(() => c.Reset.NotifyAsync(id, true, ct));
        }

        if (protocols.Contains((byte)ScmiProtocolId.POWERCAP))
        {
            var domains = (uint)await c.Powercap.GetDomainCountAsync(ct);
            for (uint id = 0; id < domains; id++)
                await Try(() => c.Powercap.NotifyCapAsync(id, true, ct));
        }

        await Try(() => c.Base.NotifyErrorsAsync(true, ct));
        return done;
    }

    private static Command PermissionsCommand()
    {
        Command Change(string name, bool allow)
        {
            var connect = ConnectOption();
            var agent = new Option<string>("--agent") { Description = "The agent to change, by name or id.", Required = true };
            var device = new Option<uint?>("--device") { Description = "The device, by its position in the model's [[device]] list (0-based)." };
            var protocol = new Option<string?>("--protocol") { Description = "Only this protocol of the device (a name such as clock, or an id such as 0x14): BASE_SET_PROTOCOL_PERMISSIONS; without it the whole device: BASE_SET_DEVICE_PERMISSIONS." };
            var command = new Command(name, allow
                ? "Give an agent back access to a device, or to one protocol of it (the calling agent must be trusted)."
                : "Take a device, or one protocol of it, away from an agent: its commands on those resources answer DENIED (the calling agent must be trusted).")
            { connect, agent, device, protocol };
            command.SetAction((parse, ct) => RunAsync(parse.GetValue(connect)!, async c =>
            {
                var agentId = await ResolveAgentAsync(c, parse.GetValue(agent)!, ct);
                var deviceId = parse.GetValue(device) ?? throw new FormatException("--device is required");
                if (parse.GetValue(protocol) is { } text)
                {
                    var spec = ScmiCatalog.Find(text)
                        ?? throw new FormatException($"'{text}' is not a protocol name or id (for example clock, 0x14)");
                    await c.Base.SetProtocolPermissionsAsync(agentId, deviceId, spec.Id, allow, ct);
                    global::System.Console.WriteLine($"agent {agentId}: protocol {spec.ShortName} of device {deviceId} {(allow ? "allowed" : "denied")}");
                }
                else
                {
                    await c.Base.SetDevicePermissionsAsync(agentId, deviceId, allow, ct);
                    global::System.Console.WriteLine($"agent {agentId}: device {deviceId} {(allow ? "allowed" : "denied")}");
                }
            }));
            return command;
        }

        var resetConnect = ConnectOption();
        var resetAgent = new Option<string>("--agent") { Description = "The agent to reset, by name or id.", Required = true };
        var keep = new Option<bool>("--keep-permissions") { Description = "Reset the agent's requests and subscriptions but keep its permissions." };
        var reset = new Command("reset", "BASE_RESET_AGENT_CONFIGURATION: the agent's requests, votes and subscriptions back to the model's, and its permissions too unless --keep-permissions.") { resetConnect, resetAgent, keep };
        reset.SetAction((parse, ct) => RunAsync(parse.GetValue(resetConnect)!, async c =>
        {
            var agentId = await ResolveAgentAsync(c, parse.GetValue(resetAgent)!, ct);
            await c.Base.ResetAgentConfigurationAsync(agentId, resetPermissions: !parse.GetValue(keep), ct);
            global::System.Console.WriteLine($"agent {agentId}: configuration reset{(parse.GetValue(keep) ? " (permissions kept)" : "")}");
        }));
        return new Command("permissions", "Change what another agent may use (Base protocol permissions; needs a trusted agent such as OSPM).")
        {
            Change("deny", allow: false),
            Change("allow", allow: true),
            reset,
        };
    }

    /// <summary>An agent by id or by name (BASE_DISCOVER_AGENT; agents are numbered from 1).</summary>
    private static async Task<uint> ResolveAgentAsync(ScmiClient c, string text, CancellationToken ct) =>
        await Resolve(text, (await c.Base.DiscoverAsync(ct)).AgentCount, async i => (await c.Base.DiscoverAgentAsync(i, ct)).Name, "agent", first: 1);
}
