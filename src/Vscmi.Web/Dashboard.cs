using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Platform.Telemetry;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Web;

/// <summary>
/// The live dashboard (docs/dashboard.md): one page, its script and style embedded, fed by
/// Server-Sent Events. Every second each client gets a snapshot (agents, every resource's state
/// and who changed it last, sensor values); while any client is connected, the trace's messages
/// follow as they happen. It changes nothing unless started with an agent identity, and then
/// only through SCMI commands on a session of that agent.
/// </summary>
internal sealed partial class Dashboard : IAsyncDisposable
{
    /// <summary>Sensor values kept for the charts: five minutes at one per second.</summary>
    public const int HistoryLength = 300;

    /// <summary>Frames a slow client may have waiting before newer ones are dropped for it.</summary>
    private const int ClientBacklog = 512;

    private readonly ScmiPlatform _platform;
    private readonly int? _agent;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly List<Channel<string>> _clients = [];
    private readonly Dictionary<string, (long Messages, long Errors)> _previous = [];
    private readonly Dictionary<string, double> _rates = [];
    private readonly List<(long UnixMs, long?[] Values)> _history = [];
    private readonly CancellationTokenSource _stopping = new();
    private AgentSession? _session;
    private TraceSubscription? _trace;
    private Task _ticking = Task.CompletedTask;
    private Task _tracing = Task.CompletedTask;
    private int _token;

    public Dashboard(ScmiPlatform platform, int? agent, ILogger logger)
    {
        _platform = platform;
        _agent = agent;
        _logger = logger;
        platform.TrackChanges = true;
    }

    public void Map(WebApplication app)
    {
        // RequestDelegate handlers only: no reflection over delegates, so the native AOT binary serves the same page.
        app.MapGet("/", context => Asset(context, "index.html", "text/html; charset=utf-8"));
        app.MapGet("/dashboard.js", context => Asset(context, "dashboard.js", "text/javascript; charset=utf-8"));
        app.MapGet("/dashboard.css", context => Asset(context, "dashboard.css", "text/css; charset=utf-8"));
        app.MapGet("/api/snapshot", context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(Snapshot(), context.RequestAborted);
        });
        app.MapGet("/api/events", EventsAsync);
        app.MapPost("/api/clock/{id:int}/rate", context =>
            Query(context, "hz", out ulong hz) is { } error ? Reply(context, 400, error)
            : Act(context, ResourceKind.Clock, ScmiProtocolId.CLOCK, 0x5, local => [0u, local, (uint)hz, (uint)(hz >> 32)]));
        app.MapPost("/api/perf/{id:int}/level", context =>
            Query(context, "level", out ulong level) is { } error || level > uint.MaxValue ? Reply(context, 400, $"level: a 32-bit number\n")
            : Act(context, ResourceKind.Perf, ScmiProtocolId.PERF, 0x7, local => [local, (uint)level]));
    }

    private static string? Query(HttpContext context, string name, out ulong value)
    {
        value = 0;
        var text = context.Request.Query[name].ToString();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) ? null : $"{name}={text}: not a number\n";
    }

    private static Task Reply(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    public void Start()
    {
        _ticking = TickAsync(_stopping.Token);
    }

    private static async Task Asset(HttpContext context, string name, string contentType)
    {
        using var stream = typeof(Dashboard).Assembly.GetManifestResourceStream("Vscmi.Web." + name);
        if (stream is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = contentType;
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    // ---- actions: SCMI commands as the dashboard's agent ----

    private Task Act(HttpContext context, ResourceKind kind, ScmiProtocolId protocol, byte message, Func<uint, uint[]> parameters)
    {
        if (_agent is not { } agent)
            return Reply(context, 403, "the dashboard has no agent identity: start serve with --dashboard-agent NAME to let it act\n");
        if (!int.TryParse(context.Request.RouteValues["id"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var globalId))
            return Reply(context, 400, "id: not a number\n");
        lock (_sync)
        {
            _session ??= _platform.OpenSession(agent, 128, hasP2A: false, transport: "dashboard");
            if (!_session.TryLocal(kind, globalId, out var local) || globalId >= _platform.ResourceCount(kind))
                return Reply(context, 403, $"agent {_session.AgentName} does not see {kind} {globalId}\n");
            var words = parameters(local);
            var request = new byte[4 + (4 * words.Length)];
            var header = new ScmiHeader(message, ScmiMessageType.COMMAND, (byte)protocol, (ushort)(_token++ & 0x3FF));
            BinaryPrimitives.WriteUInt32LittleEndian(request, header.Value);
            for (var i = 0; i < words.Length; i++)
                BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4 + (4 * i)), words[i]);
            var reply = new byte[_session.ReplyBufferSize];
            _platform.Handle(_session, request, reply);
            var status = (ScmiStatus)BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4));
            LogAction(_logger, _session.AgentName, protocol, globalId, status);
            return Reply(context, status == ScmiStatus.SUCCESS ? 200 : 409, status + "\n");
        }
    }

    // ---- Server-Sent Events ----

    private async Task EventsAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var frames = Channel.CreateBounded<string>(new BoundedChannelOptions(ClientBacklog) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        frames.Writer.TryWrite(Frame("history", History()));
        frames.Writer.TryWrite(Frame("snapshot", Snapshot()));
        AddClient(frames);
        try
        {
            await foreach (var frame in frames.Reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                await response.WriteAsync(frame, context.RequestAborted).ConfigureAwait(false);
                if (frames.Reader.Count == 0)
                    await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            RemoveClient(frames);
        }
    }

    private static string Frame(string name, string json) => $"event: {name}\ndata: {json}\n\n";

    private void AddClient(Channel<string> client)
    {
        lock (_sync)
        {
            _clients.Add(client);
            // The trace runs only while someone watches: it costs the data plane a copy per message.
            if (_trace is null)
            {
                _trace = _platform.Trace.Subscribe();
                _tracing = ForwardTraceAsync(_trace, _stopping.Token);
            }
        }
    }

    private void RemoveClient(Channel<string> client)
    {
        lock (_sync)
        {
            _clients.Remove(client);
            if (_clients.Count == 0 && _trace is not null)
            {
                _trace.Dispose();
                _trace = null;
            }
        }
    }

    private void Broadcast(string frame)
    {
        lock (_sync)
        {
            foreach (var client in _clients)
                client.Writer.TryWrite(frame);
        }
    }

    /// <summary>
    /// Messages a second the log shows at most: a page cannot follow a benchmark's 100,000, and
    /// decoding each would cost the daemon a core. The rest are counted (<c>messages_not_shown</c>).
    /// </summary>
    public const int MaxMessagesPerSecond = 200;

    private long _notShown;

    private async Task ForwardTraceAsync(TraceSubscription trace, CancellationToken cancellationToken)
    {
        var second = Environment.TickCount64 / 1000;
        var shown = 0;
        try
        {
            await foreach (var record in trace.Records.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Environment.TickCount64 / 1000 != second)
                    (second, shown) = (Environment.TickCount64 / 1000, 0);
                if (++shown > MaxMessagesPerSecond)
                {
                    Interlocked.Increment(ref _notShown);
                    continue;
                }

                Broadcast(Frame("message", MessageJson(record)));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One traced message for the page: time, agent, direction, protocol, the decoded line, latency.</summary>
    internal static string MessageJson(TraceRecord record) => Json(w =>
    {
        w.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(record.UnixTimeNs / 1_000_000).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
        w.WriteString("agent", record.AgentName);
        w.WriteString("direction", record.Direction == TraceDirection.In ? "in" : "out");
        var header = ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(record.Message));
        w.WriteString("protocol", ScmiCatalog.Find(header.ProtocolId)?.ShortName ?? $"0x{header.ProtocolId:X2}");
        w.WriteString("text", ScmiFormatter.Describe(record.Message, record.Direction == TraceDirection.In));
        if (record.LatencyNs > 0)
            w.WriteNumber("latency_us", Math.Round(record.LatencyNs / 1000.0, 1));
    });

    // ---- the periodic snapshot ----

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                Sample();
                bool anyone;
                lock (_sync)
                    anyone = _clients.Count > 0;
                if (anyone)
                    Broadcast(Frame("snapshot", Snapshot()));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // The dashboard failing must never reach the daemon: log and stop updating.
        catch (Exception e)
        {
            LogTickFailed(_logger, e);
        }
#pragma warning restore CA1031
    }

    private void Sample()
    {
        var samples = _platform.SensorSamples();
        var totals = AgentTotals();
        lock (_sync)
        {
            _history.Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), [.. samples]));
            if (_history.Count > HistoryLength)
                _history.RemoveAt(0);
            foreach (var (agent, now) in totals)
            {
                var before = _previous.GetValueOrDefault(agent, now);
                _rates[agent] = now.Messages - before.Messages;
                _previous[agent] = now;
            }
        }
    }

    private Dictionary<string, (long Messages, long Errors)> AgentTotals()
    {
        var totals = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var (agent, counts) in _platform.MessageCountsByAgent())
        {
            long messages = 0, errors = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                messages += counts[i];
                if (i % PlatformMetrics.StatusSlots != 0)
                    errors += counts[i];
            }

            totals[agent] = (messages, errors);
        }

        return totals;
    }

    private string History() => Json(w =>
    {
        w.WriteStartArray("sensors");
        foreach (var sensor in _platform.Model.Sensors)
            w.WriteStringValue(sensor.Name);
        w.WriteEndArray();
        w.WriteStartArray("samples");
        lock (_sync)
        {
            foreach (var (unixMs, values) in _history)
                WriteSample(w, unixMs, values);
        }

        w.WriteEndArray();
    });

    private static void WriteSample(Utf8JsonWriter w, long unixMs, long?[] values)
    {
        w.WriteStartObject();
        w.WriteNumber("t", unixMs);
        w.WriteStartArray("v");
        foreach (var value in values)
        {
            if (value is { } v)
                w.WriteNumberValue(v);
            else
                w.WriteNullValue();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Everything the page shows, as one JSON object (docs/dashboard.md lists the keys).</summary>
    internal string Snapshot()
    {
        var model = _platform.Model;
        using var state = JsonDocument.Parse(_platform.StateJson());
        var root = state.RootElement;
        var changes = _platform.LastChanges();
        var sessions = _platform.OpenSessions();
        var totals = AgentTotals();
        var samples = _platform.SensorSamples();
        return Json(w =>
        {
            w.WriteString("vendor", model.Platform.Vendor);
            w.WriteBoolean("actions", _agent is not null);
            if (_agent is { } acting && acting <= model.Agents.Count)
                w.WriteString("acting_as", model.Agents[acting - 1].Name);
            w.WriteNumber("trace_subscribers", _platform.Trace.Subscribers);
            w.WriteNumber("messages_not_shown", Interlocked.Read(ref _notShown));
            lock (_sync)
                w.WriteNumber("messages_dropped", _trace?.Dropped ?? 0);

            w.WriteStartArray("agents");
            for (var i = 0; i < model.Agents.Count; i++)
            {
                var agent = model.Agents[i];
                var own = sessions.Where(s => s.AgentId == i + 1 && s.Transport != "dashboard").ToList();
                var (messages, errors) = totals.GetValueOrDefault(agent.Name);
                w.WriteStartObject();
                w.WriteNumber("id", i + 1);
                w.WriteString("name", agent.Name);
                w.WriteBoolean("trusted", agent.Trusted);
                w.WriteBoolean("connected", own.Count > 0);
                w.WriteString("transport", string.Join(", ", own.Select(s => s.Transport).Distinct()));
                w.WriteNumber("sessions", own.Count);
                w.WriteNumber("messages", messages);
                w.WriteNumber("errors", errors);
                lock (_sync)
                    w.WriteNumber("messages_per_second", _rates.GetValueOrDefault(agent.Name));
                w.WriteNumber("in_flight", own.Sum(s => s.InFlight));
                w.WriteNumber("events_waiting", own.Sum(s => s.QueuedNotifications));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Resources(w, "clocks", root, "clocks", model.Clocks.Select(c => c.Name), ResourceKind.Clock, changes, (o, e) =>
            {
                Copy(o, e, "rate");
                o.WriteBoolean("enabled", e.TryGetProperty("votes", out var votes) && votes.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.True));
                CopyVotes(o, e, "votes", model);
            });
            Resources(w, "perf", root, "perf", model.PerfDomains.Select(p => p.Name), ResourceKind.Perf, changes, (o, e) =>
            {
                Copy(o, e, "level");
                Copy(o, e, "range_min");
                Copy(o, e, "range_max");
                CopyVotes(o, e, "requests", model);
            });
            Resources(w, "power", root, "power", model.PowerDomains.Select(p => p.Name), ResourceKind.PowerDomain, changes, (o, e) =>
            {
                Copy(o, e, "on");
                CopyVotes(o, e, "votes", model);
            });
            Resources(w, "voltage", root, "voltage", model.VoltageDomains.Select(v => v.Name), ResourceKind.VoltageDomain, changes, (o, e) =>
            {
                Copy(o, e, "level");
                Copy(o, e, "on");
            });
            Resources(w, "reset", root, "reset", model.ResetDomains.Select(r => r.Name), ResourceKind.ResetDomain, changes, (o, e) =>
            {
                if (e.TryGetProperty("holder", out var holder) && holder.TryGetInt32(out var id))
                    o.WriteString("holder", id >= 1 && id <= model.Agents.Count ? model.Agents[id - 1].Name : "");
                Copy(o, e, "asserted");
                Copy(o, e, "count");
            });
            Resources(w, "powercap", root, "powercap", model.PowercapDomains.Select(p => p.Name), ResourceKind.Powercap, changes, (o, e) =>
            {
                Copy(o, e, "cap");
                Copy(o, e, "pai");
            });
            w.WriteStartArray("sensors");
            for (var i = 0; i < model.Sensors.Count; i++)
            {
                var sensor = model.Sensors[i];
                w.WriteStartObject();
                w.WriteNumber("id", i);
                w.WriteString("name", sensor.Name);
                w.WriteString("unit", ScmiCatalog.SensorUnits.NameOf(sensor.UnitType) ?? $"type {sensor.UnitType}");
                w.WriteNumber("exponent", sensor.UnitExponent);
                if (i < samples.Count && samples[i] is { } value)
                    w.WriteNumber("value", value);
                else
                    w.WriteNull("value");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static void Resources(Utf8JsonWriter w, string name, JsonElement state, string key, IEnumerable<string> names, ResourceKind kind,
        IReadOnlyDictionary<(ResourceKind, int), ResourceChange> changes, Action<Utf8JsonWriter, JsonElement> fields)
    {
        w.WriteStartArray(name);
        var entries = state.TryGetProperty(key, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().ToList() : [];
        var id = 0;
        foreach (var resourceName in names)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("name", resourceName);
            if (id < entries.Count)
                fields(w, entries[id]);
            if (changes.TryGetValue((kind, id), out var change))
            {
                w.WriteStartObject("changed");
                w.WriteString("agent", change.Agent);
                w.WriteString("message", change.Message);
                w.WriteString("at", change.At.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }

            w.WriteEndObject();
            id++;
        }

        w.WriteEndArray();
    }

    private static void Copy(Utf8JsonWriter w, JsonElement from, string name)
    {
        if (from.TryGetProperty(name, out var value))
        {
            w.WritePropertyName(name);
            value.WriteTo(w);
        }
    }

    // Per-agent votes or requests, keyed by agent name (null: that agent asked nothing).
    private static void CopyVotes(Utf8JsonWriter w, JsonElement from, string name, DeviceModel model)
    {
        if (!from.TryGetProperty(name, out var votes) || votes.ValueKind != JsonValueKind.Array)
            return;
        w.WriteStartObject("by_agent");
        var i = 0;
        foreach (var vote in votes.EnumerateArray())
        {
            if (i < model.Agents.Count)
            {
                w.WritePropertyName(model.Agents[i].Name);
                vote.WriteTo(w);
            }

            i++;
        }

        w.WriteEndObject();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _ticking.ConfigureAwait(false);
        lock (_sync)
        {
            _trace?.Dispose();
            _trace = null;
            foreach (var client in _clients)
                client.Writer.TryComplete();
        }

        await _tracing.ConfigureAwait(false);
        if (_session is not null)
            _platform.CloseSession(_session);
        _platform.TrackChanges = false;
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "dashboard: as {Agent}, {Protocol} set on resource {Id}: {Status}")]
    private static partial void LogAction(ILogger logger, string agent, ScmiProtocolId protocol, int id, ScmiStatus status);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "dashboard: the periodic update failed; the page stops updating")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
