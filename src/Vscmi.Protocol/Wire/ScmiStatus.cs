namespace Vscmi.Protocol;

/// <summary>
/// SCMI status codes: the first, signed word of every response and delayed response
/// (DEN0056 table 4; reference 1.3). Values outside this set are vendor or reserved codes.
/// </summary>
public enum ScmiStatus
{
    /// <summary>Success.</summary>
    SUCCESS = 0,
    /// <summary>The command or feature is not implemented or not visible to this agent.</summary>
    NOT_SUPPORTED = -1,
    /// <summary>A parameter is invalid.</summary>
    INVALID_PARAMETERS = -2,
    /// <summary>The agent lacks permission.</summary>
    DENIED = -3,
    /// <summary>The entity (domain, clock, sensor, message) does not exist.</summary>
    NOT_FOUND = -4,
    /// <summary>A value is out of range.</summary>
    OUT_OF_RANGE = -5,
    /// <summary>Out of resources, for example too many pending asynchronous requests.</summary>
    BUSY = -6,
    /// <summary>The message could not be transmitted correctly.</summary>
    COMMS_ERROR = -7,
    /// <summary>Generic failure.</summary>
    GENERIC_ERROR = -8,
    /// <summary>Hardware failure.</summary>
    HARDWARE_ERROR = -9,
    /// <summary>The caller violated the protocol (for example a short message).</summary>
    PROTOCOL_ERROR = -10,
    /// <summary>The resource is owned by the platform or another agent (v3.2, value from imx-sm).</summary>
    IN_USE = -11,
    /// <summary>Partial success (new in SCMI v4.0).</summary>
    PARTIAL = -12,
}

/// <summary>Names for status words, including the ones outside <see cref="ScmiStatus"/>.</summary>
public static class ScmiStatusNames
{
    /// <summary>The spec name of a status word, or its number with "vendor" or "reserved".</summary>
    public static string Describe(int status) =>
        status is <= 0 and >= (int)ScmiStatus.PARTIAL
            ? ((ScmiStatus)status).ToString()
            : status < -127 ? $"{status} (vendor)" : $"{status} (reserved)";
}
