namespace Vscmi.Protocol;

/// <summary>The 2-bit message_type field of the SCMI header (DEN0056 4.1.1; reference 1.1).</summary>
public enum ScmiMessageType : byte
{
    /// <summary>A command, and its synchronous response (same header).</summary>
    COMMAND = 0,

    /// <summary>Reserved by the specification; never valid on the wire.</summary>
    RESERVED = 1,

    /// <summary>The delayed response of an asynchronous command (same message id and token).</summary>
    DELAYED_RESPONSE = 2,

    /// <summary>A platform-to-agent notification.</summary>
    NOTIFICATION = 3,
}
