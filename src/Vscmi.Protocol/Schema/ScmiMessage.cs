namespace Vscmi.Protocol.Schema;

/// <summary>Which of the four message kinds a message is (type 0 is a command or its response).</summary>
public enum ScmiMessageKind
{
    /// <summary>Agent to platform.</summary>
    Command,
    /// <summary>The synchronous response: status then return values.</summary>
    Response,
    /// <summary>Type 2: status then return values.</summary>
    DelayedResponse,
    /// <summary>Type 3: payload, no status.</summary>
    Notification,
}

/// <summary>A message decoded against the catalog.</summary>
/// <param name="Header">The header.</param>
/// <param name="Kind">Command, response, delayed response or notification.</param>
/// <param name="Protocol">The protocol description.</param>
/// <param name="Name">The command or notification name.</param>
/// <param name="Status">The status word of a response or delayed response; null otherwise.</param>
/// <param name="Fields">The body's fields (empty for error replies).</param>
public sealed record ScmiMessage(ScmiHeader Header, ScmiMessageKind Kind, ProtocolSpec Protocol, string Name, int? Status, FieldSet Fields)
{
    /// <summary>The layout the body was decoded with (null for an error reply, which has only the status).</summary>
    public Layout? Layout { get; init; }
}
