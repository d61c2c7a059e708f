namespace Vscmi.Protocol.Schema;

/// <summary>
/// A typed view of one message part (request, response, delayed response, notification or list
/// entry), generated from its description into <c>Generated/Messages.g.cs</c>: code reads and
/// builds fields by property, and the names live only in the description.
/// </summary>
/// <typeparam name="TSelf">The generated record.</typeparam>
public interface IScmiRecord<TSelf>
    where TSelf : IScmiRecord<TSelf>
{
    /// <summary>The record from decoded fields (fields the description makes optional may be absent).</summary>
    static abstract TSelf From(FieldSet fields);

    /// <summary>The fields to encode (counts of lists are derived by the encoder).</summary>
    FieldSet ToFields();
}

/// <summary>A command's parameters, with the command it belongs to.</summary>
public interface IScmiRequest
{
    /// <summary>The protocol.</summary>
    ScmiProtocolId Protocol { get; }

    /// <summary>The command's message id.</summary>
    byte MessageId { get; }

    /// <summary>The fields to encode.</summary>
    FieldSet ToFields();
}

/// <summary>A command's parameters, typed by the return values it answers with.</summary>
/// <typeparam name="TResponse">The generated response record.</typeparam>
public interface IScmiRequest<TResponse> : IScmiRequest
    where TResponse : IScmiRecord<TResponse>
{
}

/// <summary>A notification's payload, with the notification it is.</summary>
public interface IScmiNotification
{
    /// <summary>The protocol.</summary>
    ScmiProtocolId Protocol { get; }

    /// <summary>The notification id (the header's message_id).</summary>
    byte NotificationId { get; }

    /// <summary>The fields to encode.</summary>
    FieldSet ToFields();
}
