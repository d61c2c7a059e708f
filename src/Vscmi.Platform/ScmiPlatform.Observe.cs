using Vscmi.Platform.Model;

namespace Vscmi.Platform;

/// <summary>Who last changed a resource, and with what (the dashboard shows it beside the resource).</summary>
/// <param name="Agent">The agent's name.</param>
/// <param name="Message">The command that changed it (CLOCK_RATE_SET...).</param>
/// <param name="At">When, by the platform's clock.</param>
public sealed record ResourceChange(string Agent, string Message, DateTimeOffset At);

/// <summary>What the operator-facing views read from a running platform (the dashboard).</summary>
public sealed partial class ScmiPlatform
{
    private readonly Dictionary<(ResourceKind Kind, int Id), ResourceChange> _lastChanges = [];
    private readonly Lock _changesSync = new();
    private volatile bool _trackChanges;

    /// <summary>
    /// Whether successful changing commands are remembered per resource (<see cref="LastChanges"/>).
    /// Off by default: it costs a lookup per change, and only the dashboard asks.
    /// </summary>
    public bool TrackChanges
    {
        get => _trackChanges;
        set => _trackChanges = value;
    }

    /// <summary>The last successful change of each resource that has had one since tracking started.</summary>
    public IReadOnlyDictionary<(ResourceKind Kind, int Id), ResourceChange> LastChanges()
    {
        lock (_changesSync)
            return new Dictionary<(ResourceKind, int), ResourceChange>(_lastChanges);
    }

    /// <summary>
    /// The resource state as JSON: the state file's body (rates, levels, limits and each agent's
    /// request, votes, power states, voltages, caps, resets; docs/operations.md), without its checksum line.
    /// </summary>
    public string StateJson()
    {
        lock (Sync)
            return System.Text.Encoding.UTF8.GetString(Vscmi.Platform.State.StateFile.Body(Model, State));
    }

    /// <summary>
    /// Each sensor's value now, as SENSOR_READING_GET would read it (the first axis of a multi-axis
    /// sensor); null when it cannot be read. Host sources answer from their last refresh: no I/O here.
    /// </summary>
    public IReadOnlyList<long?> SensorSamples()
    {
        Span<long> values = stackalloc long[8];
        lock (Sync)
        {
            var samples = new long?[State.Sensors.Length];
            for (var i = 0; i < samples.Length; i++)
                samples[i] = State.Sensors[i].TryReadAll(Uptime, values) ? values[0] : null;
            return samples;
        }
    }

    // A command that changes a resource: *_SET*, *_CONFIG, *_CONFIGURE, RESET (by the catalog's names).
    internal static bool IsChange(string message) =>
        message.Contains("_SET", StringComparison.Ordinal) || message.EndsWith("_CONFIG", StringComparison.Ordinal)
        || message.EndsWith("_CONFIGURE", StringComparison.Ordinal) || message == "RESET";

    private void RecordChange(AgentSession session, MessageTable.Entry entry, ReadOnlySpan<byte> payload)
    {
        if (entry.Spec.Request.ResourceIdOffset is not (var offset and >= 0) || payload.Length < offset + 4
            || ResourceKindOf(entry.Protocol.Id) is not { } kind
            || !session.TryGlobal(kind, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(payload[offset..]), out var id))
        {
            return;
        }

        lock (_changesSync)
            _lastChanges[(kind, id)] = new ResourceChange(session.AgentName, entry.Spec.Name, Time.GetUtcNow());
    }
}
