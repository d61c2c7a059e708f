namespace Vscmi.Protocol.Schema;

/// <summary>The description of one command: its request, its response and, if asynchronous, its delayed response.</summary>
public sealed class MessageSpec
{
    private readonly List<(uint Before, Layout? Request, Layout? Response, Layout? Delayed)> _older = [];

    internal MessageSpec(ScmiProtocolId protocol, byte id, string name, Layout request, Layout response, Layout? delayedResponse, uint since = 0)
    {
        Protocol = protocol;
        Id = id;
        Name = name;
        Request = request;
        Response = response;
        DelayedResponse = delayedResponse;
        Since = since;
    }

    /// <summary>The lowest protocol version (major &lt;&lt; 16 | minor) that has this message; 0: every version.</summary>
    public uint Since { get; }

    /// <summary>Adds the layouts the message had before protocol version <paramref name="before"/> (null: unchanged).</summary>
    internal void AddOlder(uint before, Layout? request, Layout? response, Layout? delayed) => _older.Add((before, request, response, delayed));

    /// <summary>This message as every version that has it speaks it, newest first (for generators that cover them all).</summary>
    internal IEnumerable<MessageSpec> Variants() => new[] { this }.Concat(Older().Select(o => o.Spec));

    /// <summary>Each older form with the newest version it covers (one below its bound), newest first.</summary>
    internal IEnumerable<(uint Version, MessageSpec Spec)> Older() =>
        _older.Select(o => o.Before).Distinct().OrderByDescending(b => b).Select(b => (b - 1, At(b - 1))).Where(o => o.Item2 is not null).Select(o => (o.Item1, o.Item2!));

    /// <summary>
    /// This message as a platform of protocol version <paramref name="version"/> speaks it: the
    /// layouts in force then, or null when the message did not exist yet.
    /// </summary>
    public MessageSpec? At(uint version)
    {
        if (version < Since)
            return null;
        var (request, response, delayed) = (Request, Response, DelayedResponse);
        // Older variants apply from the newest down: each covers every version before its bound.
        foreach (var (before, oldRequest, oldResponse, oldDelayed) in _older.OrderByDescending(o => o.Before))
        {
            if (version >= before)
                break;
            request = oldRequest ?? request;
            response = oldResponse ?? response;
            delayed = oldDelayed ?? delayed;
        }

        return ReferenceEquals(request, Request) && ReferenceEquals(response, Response) && ReferenceEquals(delayed, DelayedResponse)
            ? this
            : new MessageSpec(Protocol, Id, Name, request, response, delayed, Since);
    }

    /// <summary>The protocol.</summary>
    public ScmiProtocolId Protocol { get; }

    /// <summary>The message id.</summary>
    public byte Id { get; }

    /// <summary>The spec name, e.g. <c>CLOCK_RATE_SET</c>.</summary>
    public string Name { get; }

    /// <summary>Parameters after the header.</summary>
    public Layout Request { get; }

    /// <summary>Return values after the status word (present only when the status is SUCCESS).</summary>
    public Layout Response { get; }

    /// <summary>Return values of the delayed response after its status word, if the command can be asynchronous.</summary>
    public Layout? DelayedResponse { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The description of one notification.</summary>
public sealed class NotificationSpec
{
    private readonly List<(uint Before, Layout Payload)> _older = [];

    internal NotificationSpec(ScmiProtocolId protocol, byte id, string name, Layout payload, uint since = 0)
    {
        Protocol = protocol;
        Id = id;
        Name = name;
        Payload = payload;
        Since = since;
    }

    /// <summary>The lowest protocol version that has this notification; 0: every version.</summary>
    public uint Since { get; }

    internal void AddOlder(uint before, Layout payload) => _older.Add((before, payload));

    /// <summary>This notification as every version that has it defines it, newest first.</summary>
    internal IEnumerable<NotificationSpec> Variants() =>
        new[] { this }.Concat(_older.Select(o => o.Before).Distinct().OrderByDescending(b => b).Select(b => At(b - 1)).OfType<NotificationSpec>());

    /// <summary>This notification at protocol version <paramref name="version"/>, or null when it did not exist yet.</summary>
    public NotificationSpec? At(uint version)
    {
        if (version < Since)
            return null;
        var payload = Payload;
        foreach (var (before, older) in _older.OrderByDescending(o => o.Before))
        {
            if (version >= before)
                break;
            payload = older;
        }

        return ReferenceEquals(payload, Payload) ? this : new NotificationSpec(Protocol, Id, Name, payload, Since);
    }

    /// <summary>The protocol.</summary>
    public ScmiProtocolId Protocol { get; }

    /// <summary>The notification id (the header's message_id).</summary>
    public byte Id { get; }

    /// <summary>The spec name, e.g. <c>SENSOR_UPDATE</c>.</summary>
    public string Name { get; }

    /// <summary>The payload (no status word).</summary>
    public Layout Payload { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>One protocol: its id, the version this library speaks, its commands and notifications.</summary>
public sealed class ProtocolSpec
{
    private readonly Dictionary<byte, MessageSpec> _messages;
    private readonly Dictionary<byte, NotificationSpec> _notifications;

    internal ProtocolSpec(ScmiProtocolId id, string shortName, uint version, IEnumerable<MessageSpec> messages, IEnumerable<NotificationSpec> notifications)
    {
        Id = id;
        ShortName = shortName;
        Version = version;
        _messages = messages.ToDictionary(m => m.Id);
        _notifications = notifications.ToDictionary(n => n.Id);
    }

    /// <summary>The protocol id.</summary>
    public ScmiProtocolId Id { get; }

    /// <summary>The short upper-case name printed by <c>vscmi decode</c> (BASE, CLOCK, PINCTRL...).</summary>
    public string ShortName { get; }

    /// <summary>The SCMI v3.2 protocol version (major &lt;&lt; 16 | minor; reference 1.8).</summary>
    public uint Version { get; }

    /// <summary>Every command, by id.</summary>
    public IReadOnlyCollection<MessageSpec> Messages => _messages.Values;

    /// <summary>Every notification, by id.</summary>
    public IReadOnlyCollection<NotificationSpec> Notifications => _notifications.Values;

    /// <summary>Finds a command.</summary>
    public MessageSpec? FindMessage(byte id) => _messages.GetValueOrDefault(id);

    /// <summary>Finds a notification.</summary>
    public NotificationSpec? FindNotification(byte id) => _notifications.GetValueOrDefault(id);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<uint, ProtocolSpec> _versions = new();

    /// <summary>
    /// The protocol as version <paramref name="version"/> defines it: only the messages that
    /// existed then, each with the layouts of that version (reference 1.8). This one for
    /// <see cref="Version"/>.
    /// </summary>
    public ProtocolSpec At(uint version) => version == Version ? this : _versions.GetOrAdd(version, v => new ProtocolSpec(
        Id, ShortName, v,
        _messages.Values.Select(m => m.At(v)).OfType<MessageSpec>(),
        _notifications.Values.Select(n => n.At(v)).OfType<NotificationSpec>()));
}
