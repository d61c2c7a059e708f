using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Vscmi.Agent;
using Vscmi.Cli.Control;
using Vscmi.Protocol;
using Vscmi.Protocol.Capture;
using Vscmi.Protocol.Schema;

namespace Vscmi.Cli;

/// <summary><c>vscmi trace</c>, <c>vscmi replay</c> and <c>vscmi dissector</c>: a running daemon's messages, live, recorded and played again.</summary>
internal static class TraceCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Trace();
        yield return Replay();
        yield return Dissector();
    }

    private static Command Trace()
    {
        var control = new Option<string>("--control") { Description = "The daemon's control socket ('vscmi serve --control PATH').", DefaultValueFactory = _ => "/run/vscmi/control.sock" };
        var agents = new Option<string[]>("--agent", "-a") { Description = "Only this agent (name or number); repeatable. Default: every agent." };
        var protocols = new Option<string[]>("--protocol", "-p") { Description = "Only this protocol (a name such as CLOCK, or an id such as 0x14); repeatable. Default: every protocol." };
        var write = new Option<string?>("--write", "-w") { Description = "Also record to this pcapng file: one interface per agent, the SCMI message as the packet (read it with 'vscmi replay', or Wireshark and docs/wireshark/vscmi.lua)." };
        var count = new Option<int>("--count", "-n") { Description = "Stop after this many messages (0: until Ctrl-C)." };
        var json = new Option<bool>("--json") { Description = "One JSON object per message (time, agent, direction, latency, the decoded message) instead of text." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing per message (with --write: record only)." };
        var command = new Command("trace", "Print every message a running daemon sees, live and decoded: time, agent, direction (→ command, ← reply, delayed response or notification), and how long the platform took to reply. Drops (a trace that cannot keep up never slows the VMs) are reported.")
        {
            control, agents, protocols, write, count, json, quiet,
        };
        command.SetAction((parse, ct) => RunTraceAsync(parse.GetValue(control)!, parse.GetValue(agents) ?? [], parse.GetValue(protocols) ?? [], parse.GetValue(write),
            parse.GetValue(count), parse.GetValue(json), parse.GetValue(quiet), ct));
        return command;
    }

    private static async Task<int> RunTraceAsync(string controlPath, string[] agents, string[] protocols, string? writePath, int count, bool json, bool quiet, CancellationToken cancellationToken)
    {
        // SIGTERM (systemd, kill) and SIGINT (Ctrl-C) both stop cleanly.
        using var stop = new StopSignals(cancellationToken);
        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(controlPath), stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            Console.Error.WriteLine($"error: cannot reach the daemon at {controlPath}: {e.Message} (is 'vscmi serve --control {controlPath}' running, and is the socket yours?)");
            return 1;
        }

        using var _ = socket;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = ControlServer.Json(w =>
        {
            w.WriteString("command", "trace");
            if (agents.Length > 0)
            {
                w.WriteStartArray("agents");
                foreach (var agent in agents)
                    w.WriteStringValue(agent);
                w.WriteEndArray();
            }

            if (protocols.Length > 0)
            {
                w.WriteStartArray("protocols");
                foreach (var protocol in protocols)
                    w.WriteStringValue(protocol);
                w.WriteEndArray();
            }
        });
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), stop.Token).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var first = await reader.ReadLineAsync(stop.Token).ConfigureAwait(false);
        if (first is null)
        {
            Console.Error.WriteLine("error: the daemon closed the connection without answering (a daemon older than 'trace'?)");
            return 1;
        }

        using (var answer = JsonDocument.Parse(first))
        {
            if (!answer.RootElement.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
            {
                Console.Error.WriteLine($"error: {(answer.RootElement.TryGetProperty("error", out var error) ? error.GetString() : first)}");
                return 1;
            }
        }

        FileStream? capture = null;
        var interfaces = new Dictionary<string, int>(StringComparer.Ordinal);
        if (writePath is not null)
        {
            try
            {
                capture = new FileStream(writePath, FileMode.Create, FileAccess.Write, FileShare.Read);
                Pcapng.WriteHeader(capture);
                capture.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot write {writePath}: {e.Message}");
                return 1;
            }
        }

        Console.Error.WriteLine($"tracing {(agents.Length > 0 ? string.Join(", ", agents) : "every agent")}" +
            $"{(protocols.Length > 0 ? $", {string.Join(", ", protocols)}" : "")}{(writePath is null ? "" : $", recording to {writePath}")}; Ctrl-C stops");
        var seen = 0;
        long dropped = 0;
        var lastFlush = Environment.TickCount64;
        try
        {
            while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.TryGetProperty("dropped", out var drops))
                {
                    dropped = drops.GetInt64();
                    Console.Error.WriteLine($"… {dropped} message(s) dropped so far: this trace fell behind (the VMs were not slowed)");
                    continue;
                }

                var record = TraceLine.Parse(root);
                if (capture is not null)
                {
                    if (!interfaces.TryGetValue(record.Agent, out var id))
                    {
                        interfaces[record.Agent] = id = interfaces.Count;
                        Pcapng.WriteInterface(capture, record.Agent);
                    }

                    Pcapng.WritePacket(capture, id, record.UnixTimeNs, record.Direction, record.Message, record.LatencyNs);
                    // On disk within 200 ms: a trace killed hard still leaves a readable file (blocks are whole).
                    if (Environment.TickCount64 - lastFlush > 200)
                    {
                        await capture.FlushAsync(stop.Token).ConfigureAwait(false);
                        lastFlush = Environment.TickCount64;
                    }
                }

                if (!quiet)
                    Console.WriteLine(json ? TraceLine.Json(record) : TraceLine.Text(record));
                if (count > 0 && ++seen >= count)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (capture is not null)
                await capture.DisposeAsync().ConfigureAwait(false);
        }

        if (dropped > 0)
            Console.Error.WriteLine($"{dropped} message(s) were dropped from this trace");
        return 0;
    }

    private static Command Replay()
    {
        var file = new Argument<string>("file") { Description = "A pcapng file written by 'vscmi trace --write'." };
        var connect = new Option<string>("--connect", "-c") { Description = Connector.Help, DefaultValueFactory = _ => "unix:vscmi.sock" };
        var agent = new Option<string?>("--agent", "-a") { Description = "Replay this agent's commands (its interface name in the file). Default: the file's only agent; required when it has several." };
        var json = new Option<bool>("--json") { Description = "One JSON object per difference, and a summary object." };
        var command = new Command("replay", "Send a recorded agent's commands again, in order, and report every reply whose status or return values differ from the recording (the token aside). Exit status 0: no difference; 3: differences.")
        {
            file, connect, agent, json,
        };
        command.SetAction((parse, ct) => RunReplayAsync(parse.GetValue(file)!, parse.GetValue(connect)!, parse.GetValue(agent), parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunReplayAsync(string path, string endpoint, string? agent, bool json, CancellationToken cancellationToken)
    {
        IReadOnlyList<CapturedMessage> messages;
        try
        {
            messages = Pcapng.Read(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot read {path}: {e.Message}");
            return 1;
        }
        catch (CaptureFormatException e)
        {
            Console.Error.WriteLine($"error: {path}: {e.Message}");
            return 1;
        }

        var agents = messages.Select(m => m.Agent).Distinct().ToList();
        if (agent is null && agents.Count != 1)
        {
            Console.Error.WriteLine(agents.Count == 0 ? $"error: {path} has no messages" : $"error: {path} has several agents ({string.Join(", ", agents)}): choose one with --agent");
            return 2;
        }

        agent ??= agents[0];
        if (!agents.Contains(agent))
        {
            Console.Error.WriteLine($"error: {path} has no agent '{agent}' ({string.Join(", ", agents)})");
            return 2;
        }

        var exchanges = ReplayPlan.Pair(messages.Where(m => m.Agent == agent).ToList());
        await using var client = await Connector.ConnectAsync(endpoint, cancellationToken, new ScmiClientOptions { LearnPlatformVersions = false }).ConfigureAwait(false);
        var differences = 0;
        var replayed = 0;
        var skipped = 0;
        foreach (var (command, recorded) in exchanges)
        {
            if (recorded is null)
            {
                skipped++;
                continue;
            }

            byte[] reply;
            try
            {
                reply = await client.RequestRawAsync(command.Message, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                skipped++;
                Console.Error.WriteLine($"skipped: {e.Message}");
                continue;
            }

            replayed++;
            if (ReplayPlan.SameReply(recorded.Message, reply))
                continue;
            differences++;
            var description = Describe(command.Message, ScmiMessageKind.Command);
            if (json)
            {
                Console.WriteLine(ControlServer.Json(w =>
                {
                    w.WriteString("command", description);
                    w.WriteString("recorded", Describe(recorded.Message, ScmiMessageKind.Response));
                    w.WriteString("now", Describe(reply, ScmiMessageKind.Response));
                }));
            }
            else
            {
                Console.WriteLine($"differs: {description}");
                Console.WriteLine($"  recorded: {Describe(recorded.Message, ScmiMessageKind.Response)}");
                Console.WriteLine($"  now:      {Describe(reply, ScmiMessageKind.Response)}");
            }
        }

        var summary = $"{replayed} command(s) of {agent} replayed, {differences} difference(s){(skipped > 0 ? $", {skipped} skipped (no recorded reply, or not a known command)" : "")}";
        if (json)
        {
            Console.WriteLine(ControlServer.Json(w =>
            {
                w.WriteNumber("replayed", replayed);
                w.WriteNumber("differences", differences);
                w.WriteNumber("skipped", skipped);
            }));
        }
        else
        {
            Console.WriteLine(summary);
        }

        return differences == 0 ? 0 : 3;
    }

    /// <summary>The message as <c>vscmi decode</c> prints it (<see cref="ScmiFormatter.Describe"/>); <paramref name="kind"/> says which way a type-0 message went.</summary>
    internal static string Describe(ReadOnlySpan<byte> message, ScmiMessageKind kind) => ScmiFormatter.Describe(message, kind == ScmiMessageKind.Command);

    private static Command Dissector()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write it to this file instead of standard output." };
        var command = new Command("dissector", "Print the Wireshark Lua dissector for 'vscmi trace --write' files, generated from vscmi's message descriptions (docs/wireshark/vscmi.lua is this output). Use: wireshark -X lua_script:vscmi.lua trace.pcapng") { output };
        command.SetAction(parse =>
        {
            var text = WiresharkDissector.Generate();
            if (parse.GetValue(output) is { } path)
                File.WriteAllText(path, text);
            else
                Console.Write(text);
            return 0;
        });
        return command;
    }
}

/// <summary>One line of the control socket's trace stream, parsed.</summary>
internal sealed record TraceLine(long UnixTimeNs, string Agent, CaptureDirection Direction, long LatencyNs, byte[] Message)
{
    public static TraceLine Parse(JsonElement line) => new(
        line.GetProperty("t").GetInt64(),
        line.GetProperty("agent").GetString() ?? "?",
        line.GetProperty("dir").GetString() == "in" ? CaptureDirection.Inbound : CaptureDirection.Outbound,
        line.TryGetProperty("latency_ns", out var latency) ? latency.GetInt64() : 0,
        Convert.FromHexString(line.GetProperty("hex").GetString() ?? ""));

    /// <summary><c>22:04:19.123456 OSPM → CLOCK 0x14 CLOCK_RATE_GET command token=5 clock_id=3</c>, and the latency for replies.</summary>
    public static string Text(TraceLine record)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(record.UnixTimeNs / 1_000_000).ToLocalTime();
        var micros = record.UnixTimeNs / 1000 % 1_000_000;
        var arrow = record.Direction == CaptureDirection.Inbound ? "→" : "←";
        var text = TraceCommands.Describe(record.Message, record.Direction == CaptureDirection.Inbound ? ScmiMessageKind.Command : ScmiMessageKind.Response);
        var latency = record.LatencyNs > 0 ? string.Create(CultureInfo.InvariantCulture, $"  ({record.LatencyNs / 1000.0:0.0} µs)") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{time:HH:mm:ss}.{micros:D6} {record.Agent} {arrow} {text}{latency}");
    }

    public static string Json(TraceLine record) => ControlServer.Json(w =>
    {
        w.WriteNumber("t", record.UnixTimeNs);
        w.WriteString("agent", record.Agent);
        w.WriteString("dir", record.Direction == CaptureDirection.Inbound ? "in" : "out");
        if (record.LatencyNs > 0)
            w.WriteNumber("latency_ns", record.LatencyNs);
        w.WritePropertyName("message");
        try
        {
            var kind = record.Direction == CaptureDirection.Inbound ? ScmiMessageKind.Command : ScmiMessageKind.Response;
            var decoded = ScmiMessageCodec.Decode(record.Message, (record.Message[1] & 3) != 0 ? null : kind, new DecodeOptions(Lenient: true));
            ScmiFormatter.WriteJson(w, decoded);
        }
        catch (ScmiProtocolException e)
        {
            w.WriteStartObject();
            w.WriteString("hex", Convert.ToHexStringLower(record.Message));
            w.WriteString("error", e.Message);
            w.WriteEndObject();
        }
    });
}

/// <summary>How a recording is replayed: each command with the reply recorded for it.</summary>
internal static class ReplayPlan
{
    /// <summary>
    /// Pairs each inbound command with the first later outbound type-0 message with the same
    /// header (the reply echoes its command's header); delayed responses and notifications are not replayed.
    /// </summary>
    public static List<(CapturedMessage Command, CapturedMessage? Reply)> Pair(IReadOnlyList<CapturedMessage> messages)
    {
        var plan = new List<(CapturedMessage, CapturedMessage?)>();
        var waiting = new Dictionary<uint, Queue<int>>();
        foreach (var message in messages)
        {
            if (message.Message.Length < 4)
                continue;
            var header = BinaryPrimitives.ReadUInt32LittleEndian(message.Message);
            if ((header >> 8 & 3) != 0)
                continue;
            if (message.Direction == CaptureDirection.Inbound)
            {
                if (!waiting.TryGetValue(header, out var queue))
                    waiting[header] = queue = new Queue<int>();
                queue.Enqueue(plan.Count);
                plan.Add((message, null));
            }
            else if (message.Direction == CaptureDirection.Outbound && waiting.TryGetValue(header, out var queue) && queue.Count > 0)
            {
                var index = queue.Dequeue();
                plan[index] = (plan[index].Item1, message);
            }
        }

        return plan;
    }

    /// <summary>Same status and return values; the token (header bits 27:18) may differ.</summary>
    public static bool SameReply(ReadOnlySpan<byte> recorded, ReadOnlySpan<byte> now)
    {
        if (recorded.Length != now.Length || recorded.Length < 4)
            return false;
        const uint tokenMask = 0x3FFu << 18;
        var a = BinaryPrimitives.ReadUInt32LittleEndian(recorded) & ~tokenMask;
        var b = BinaryPrimitives.ReadUInt32LittleEndian(now) & ~tokenMask;
        return a == b && recorded[4..].SequenceEqual(now[4..]);
    }
}
