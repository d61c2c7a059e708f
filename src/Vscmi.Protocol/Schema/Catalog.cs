namespace Vscmi.Protocol.Schema;

/// <summary>The description of one command: its request, its response and, if asynchronous, its delayed response.</summary>
public sealed class MessageSpec
{
    internal MessageSpec(ScmiProtocolId protocol, byte id, string name, Layout request, Layout response, Layout? delayedResponse)
    {
        Protocol = protocol;
        Id = id;
        Name = name;
        Request = request;
        Response = response;
        DelayedResponse = delayedResponse;
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
    internal NotificationSpec(ScmiProtocolId protocol, byte id, string name, Layout payload)
    {
        Protocol = protocol;
        Id = id;
        Name = name;
        Payload = payload;
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
}
