using System.Diagnostics.Metrics;

namespace Vscmi.Platform.Telemetry;

/// <summary>
/// The platform's instruments (docs/observability.md): one <see cref="Meter"/> named
/// <c>Vscmi.Platform</c>. Label sets are fixed and bounded: an agent's name, a protocol's and a
/// message's names, a status name, a transport kind; never a resource id or a token.
/// </summary>
/// <remarks>
/// The hot path only increments a session's own array (<see cref="AgentSession"/>) and, when
/// something listens, records one histogram value with two tags held in a <see cref="System.Diagnostics.TagList"/>
/// on the stack: nothing allocates. The per-message counts are read when a collector asks
/// (observable instruments), so counting costs the same whether anyone scrapes or not.
/// </remarks>
public static class PlatformMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Vscmi.Platform";

    /// <summary>Tag: the agent's name from the model.</summary>
    public const string AgentTag = "scmi.agent";

    /// <summary>Tag: the protocol's short name (BASE, CLOCK...).</summary>
    public const string ProtocolTag = "scmi.protocol";

    /// <summary>Tag: the message's name (CLOCK_RATE_GET...).</summary>
    public const string MessageTag = "scmi.message";

    /// <summary>Tag: the reply's status name (SUCCESS, NOT_SUPPORTED...).</summary>
    public const string StatusTag = "scmi.status";

    /// <summary>Tag: the kind of channel (stream, virtio).</summary>
    public const string TransportTag = "vscmi.transport";

    /// <summary>Tag: the kind of platform-to-agent message waiting (notification, delayed_response).</summary>
    public const string EventTag = "scmi.event";

    /// <summary>Tag: how an operation ended (applied, refused, written, failed).</summary>
    public const string OutcomeTag = "vscmi.outcome";

    /// <summary>
    /// The names of the statuses counted, by <see cref="StatusSlot"/>: OTHER for any other value,
    /// NO_REPLY for a command never answered (an injected drop, docs/scenarios.md).
    /// </summary>
    internal static readonly string[] StatusNames =
    [
        "SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "NOT_FOUND", "OUT_OF_RANGE", "BUSY",
        "COMMS_ERROR", "GENERIC_ERROR", "HARDWARE_ERROR", "PROTOCOL_ERROR", "IN_USE", "OTHER", "NO_REPLY",
    ];

    /// <summary>Status slots per command in a session's counts.</summary>
    internal const int StatusSlots = 14;

    /// <summary>The slot of commands never answered.</summary>
    internal const int NoReplySlot = 13;

    /// <summary>SCMI statuses are 0 and -1..-11 (reference 1.2); any other value shares the OTHER slot.</summary>
    internal static int StatusSlot(ScmiStatus status) => (int)status is <= 0 and >= -11 ? -(int)status : 12;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Sync = new();
    private static readonly List<ScmiPlatform> Platforms = [];

    /// <summary>
    /// How long the platform took to answer a command, from the request in hand to the reply
    /// written (OpenTelemetry's duration convention: seconds, a histogram). Buckets from 1 µs to 1 s.
    /// </summary>
    internal static readonly Histogram<double> ReplyDuration = Meter.CreateHistogram(
        "vscmi.scmi.reply.duration", "s", "Time the platform took to answer a command",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2, 0.1, 1] });

    /// <summary>Channels opened, by agent and transport.</summary>
    internal static readonly Counter<long> Connects = Meter.CreateCounter<long>("vscmi.session.connects", "{session}", "Agent channels opened");

    /// <summary>Channels closed, by agent and transport.</summary>
    internal static readonly Counter<long> Disconnects = Meter.CreateCounter<long>("vscmi.session.disconnects", "{session}", "Agent channels closed");

    /// <summary>Tag: which per-agent limit was hit (connections, ...).</summary>
    public const string LimitTag = "vscmi.limit";

    /// <summary>Per-agent limits hit, by agent and limit: each time an agent was held to one (docs/security.md).</summary>
    internal static readonly Counter<long> LimitHits = Meter.CreateCounter<long>("vscmi.limit.hits", "{hit}", "Times an agent was held to one of its limits");

    /// <summary>Model reloads, by outcome (applied, unchanged, refused).</summary>
    internal static readonly Counter<long> Reloads = Meter.CreateCounter<long>("vscmi.model.reloads", "{reload}", "Model reloads asked for");

    /// <summary>State file writes, by outcome (written, failed).</summary>
    internal static readonly Counter<long> StateWrites = Meter.CreateCounter<long>("vscmi.state.writes", "{write}", "State file writes");

    /// <summary>Trace records a subscriber's full ring had no room for.</summary>
    internal static readonly Counter<long> TraceDropped = Meter.CreateCounter<long>("vscmi.trace.dropped", "{message}", "Trace records dropped because a subscriber fell behind");

    static PlatformMetrics()
    {
        Meter.CreateObservableCounter("vscmi.scmi.messages", ObserveMessages, "{message}", "Commands answered, by agent, protocol, message and status");
        Meter.CreateObservableUpDownCounter("vscmi.scmi.commands.in_flight", () => ObservePerAgent(s => s.InFlight), "{command}",
            "Commands being handled, and asynchronous commands whose delayed response has not been delivered");
        Meter.CreateObservableUpDownCounter("vscmi.scmi.events.pending", ObservePending, "{event}", "Notifications and delayed responses waiting for the transport");
        Meter.CreateObservableCounter("vscmi.scmi.notifications.dropped", () => ObservePerAgent(s => s.DroppedNotifications), "{notification}",
            "Notifications dropped because an agent's backlog was full");
        Meter.CreateObservableUpDownCounter("vscmi.sessions", ObserveSessions, "{session}", "Agent channels open");
    }

    /// <summary>
    /// Makes a platform's sessions visible to the observable instruments (<c>vscmi serve</c> calls
    /// it for its platform). Platforms not registered are not observed: tests build thousands.
    /// </summary>
    public static void Register(ScmiPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        lock (Sync)
        {
            if (!Platforms.Contains(platform))
                Platforms.Add(platform);
        }
    }

    /// <summary>Stops observing a platform.</summary>
    public static void Unregister(ScmiPlatform platform)
    {
        lock (Sync)
            Platforms.Remove(platform);
    }

    private static ScmiPlatform[] Registered()
    {
        lock (Sync)
            return [.. Platforms];
    }

    private static IEnumerable<Measurement<long>> ObserveMessages()
    {
        foreach (var platform in Registered())
        {
            foreach (var (agent, counts) in platform.MessageCountsByAgent())
            {
                for (var i = 0; i < counts.Length; i++)
                {
                    if (counts[i] == 0)
                        continue;
                    var (protocol, message) = platform.CountedMessage(i / StatusSlots);
                    yield return new Measurement<long>(counts[i],
                        new(AgentTag, agent), new(ProtocolTag, protocol), new(MessageTag, message), new(StatusTag, StatusNames[i % StatusSlots]));
                }
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObservePerAgent(Func<AgentSession, long> value)
    {
        foreach (var platform in Registered())
        {
            foreach (var group in platform.OpenSessions().GroupBy(s => s.AgentName))
                yield return new Measurement<long>(group.Sum(value), new KeyValuePair<string, object?>(AgentTag, group.Key));
        }
    }

    private static IEnumerable<Measurement<long>> ObservePending()
    {
        foreach (var platform in Registered())
        {
            foreach (var group in platform.OpenSessions().GroupBy(s => s.AgentName))
            {
                yield return new Measurement<long>(group.Sum(s => (long)s.QueuedNotifications), new(AgentTag, group.Key), new(EventTag, "notification"));
                yield return new Measurement<long>(group.Sum(s => (long)s.PendingAsync), new(AgentTag, group.Key), new(EventTag, "delayed_response"));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveSessions()
    {
        foreach (var platform in Registered())
        {
            foreach (var group in platform.OpenSessions().GroupBy(s => (s.AgentName, s.Transport)))
                yield return new Measurement<long>(group.Count(), new(AgentTag, group.Key.AgentName), new(TransportTag, group.Key.Transport));
        }
    }
}
