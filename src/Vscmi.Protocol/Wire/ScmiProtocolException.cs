namespace Vscmi.Protocol;

/// <summary>What was wrong with a malformed message.</summary>
public enum ScmiDecodeError
{
    /// <summary>The message ends before a field it must hold.</summary>
    Truncated,
    /// <summary>Bytes follow the last field the description allows.</summary>
    TrailingBytes,
    /// <summary>A reserved bit or reserved padding byte is not zero.</summary>
    ReservedBits,
    /// <summary>A count field disagrees with the entries present, or breaks a rule such as the range triplet.</summary>
    BadCount,
    /// <summary>A field holds a value the specification reserves, or a name is not NUL-terminated.</summary>
    BadValue,
    /// <summary>The message is larger than the channel's maximum message size.</summary>
    TooLarge,
    /// <summary>The header names a protocol or message that has no description.</summary>
    UnknownMessage,
    /// <summary>The header itself is malformed (reserved bits, reserved type).</summary>
    BadHeader,
}

/// <summary>
/// The one exception family for malformed SCMI bytes (STYLE 7b). Platform code turns it into a
/// status (PROTOCOL_ERROR or INVALID_PARAMETERS); it never escapes as a crash.
/// </summary>
public sealed class ScmiProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScmiProtocolException(ScmiDecodeError error, string message, int offset = -1)
        : base(offset >= 0 ? $"{message} (at byte {offset})" : message)
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiProtocolException()
        : this(ScmiDecodeError.BadValue, "malformed SCMI message")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ScmiProtocolException(string message)
        : this(ScmiDecodeError.BadValue, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ScmiProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = ScmiDecodeError.BadValue;
        Offset = -1;
    }

    /// <summary>The kind of malformation.</summary>
    public ScmiDecodeError Error { get; }

    /// <summary>Byte offset within the message (after the header) where it was found, or -1.</summary>
    public int Offset { get; }

    /// <summary>
    /// The status a platform answers with: INVALID_PARAMETERS for reserved bits or values the
    /// spec reserves, PROTOCOL_ERROR for broken framing (short, long, inconsistent counts).
    /// </summary>
    public ScmiStatus ToStatus() => Error switch
    {
        ScmiDecodeError.ReservedBits or ScmiDecodeError.BadValue => ScmiStatus.INVALID_PARAMETERS,
        ScmiDecodeError.UnknownMessage => ScmiStatus.NOT_SUPPORTED,
        _ => ScmiStatus.PROTOCOL_ERROR,
    };
}

/// <summary>The single place that throws <see cref="ScmiProtocolException"/> (keeps throw sites out of hot methods).</summary>
internal static class ThrowHelper
{
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Throw(ScmiDecodeError error, string message, int offset = -1) =>
        throw new ScmiProtocolException(error, message, offset);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowTruncated(int offset, int needed, int available) =>
        throw new ScmiProtocolException(
            ScmiDecodeError.Truncated,
            $"message too short: needs {needed} more byte(s), {available} left",
            offset);
}
