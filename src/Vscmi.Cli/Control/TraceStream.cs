using System.Globalization;
using System.Text.Json;
using Vscmi.Platform;
using Vscmi.Platform.Telemetry;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Cli.Control;

/// <summary>
/// The control socket's <c>trace</c> request (docs/control.md): after one answer line, one JSON
/// line per message the platform sees, and a <c>{"dropped":N}</c> line whenever this subscriber
/// fell behind and records were dropped (its ring holds <see cref="TraceHub.DefaultCapacity"/>).
/// </summary>
internal static class TraceStream
{
    /// <summary>Streams until <paramref name="cancellationToken"/> fires (the client hung up).</summary>
    public static async Task RunAsync(ScmiPlatform platform, JsonElement request, Func<string, bool, ValueTask> writeLine, CancellationToken cancellationToken)
    {
        if (ParseFilter(platform, request, out var filter) is { } error)
        {
            await writeLine(ControlServer.Error(error), true).ConfigureAwait(false);
            return;
        }

        using var subscription = platform.Trace.Subscribe(filter);
        await writeLine(ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteBoolean("tracing", true);
            w.WriteNumber("now", TraceHub.UnixTimeNs(platform.Time)); // the platform's clock, which every record's "t" reads
            w.WriteStartArray("agents");
            foreach (var agent in platform.Model.Agents)
                w.WriteStringValue(agent.Name);
            w.WriteEndArray();
        }), true).ConfigureAwait(false);
        long reportedDrops = 0;
        var reader = subscription.Records;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var record))
                await writeLine(Line(record), false).ConfigureAwait(false);
            if (subscription.Dropped != reportedDrops)
            {
                reportedDrops = subscription.Dropped;
                await writeLine(ControlServer.Json(w => w.WriteNumber("dropped", reportedDrops)), false).ConfigureAwait(false);
            }

            await writeLine(string.Empty, true).ConfigureAwait(false);
        }
    }

    /// <summary>One record as a line: time (ns since 1970), agent, direction, latency (ns), the bytes in hex.</summary>
    public static string Line(TraceRecord record) => ControlServer.Json(w =>
    {
        w.WriteNumber("t", record.UnixTimeNs);
        w.WriteNumber("agent_id", record.AgentId);
        w.WriteString("agent", record.AgentName);
        w.WriteString("dir", record.Direction == TraceDirection.In ? "in" : "out");
        if (record.LatencyNs > 0)
            w.WriteNumber("latency_ns", record.LatencyNs);
        w.WriteString("hex", Convert.ToHexStringLower(record.Message));
    });

    private static string? ParseFilter(ScmiPlatform platform, JsonElement request, out TraceFilter filter)
    {
        filter = TraceFilter.All;
        HashSet<string>? agents = null;
        HashSet<byte>? protocols = null;
        if (request.TryGetProperty("agents", out var agentList) && agentList.ValueKind == JsonValueKind.Array)
        {
            agents = new HashSet<string>(StringComparer.Ordinal);
            foreach (var agent in agentList.EnumerateArray())
            {
                var name = agent.ValueKind == JsonValueKind.String ? agent.GetString()! : agent.ToString();
                var model = platform.Model.Agents;
                var match = model.FirstOrDefault(a => a.Name == name)?.Name
                    ?? (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1 && id <= model.Count ? model[id - 1].Name : null);
                if (match is null)
                    return $"agent \"{name}\": the model has no such agent ({string.Join(", ", model.Select(a => a.Name))})";
                agents.Add(match);
            }
        }

        if (request.TryGetProperty("protocols", out var protocolList) && protocolList.ValueKind == JsonValueKind.Array)
        {
            protocols = [];
            foreach (var protocol in protocolList.EnumerateArray())
            {
                var text = protocol.ValueKind == JsonValueKind.String ? protocol.GetString()! : protocol.ToString();
                if (ScmiCatalog.Find(text) is not { } spec)
                    return $"protocol \"{text}\": not an SCMI protocol (a name such as CLOCK, or an id such as 0x14)";
                protocols.Add((byte)spec.Id);
            }
        }

        filter = new TraceFilter(agents, protocols);
        return null;
    }
}
