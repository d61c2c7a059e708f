namespace Vscmi.Agent;

/// <summary>Base of the agent's exceptions; the kinds tell status, timeout and disconnect apart (STYLE 17).</summary>
public class ScmiClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScmiClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public ScmiClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiClientException()
        : base("SCMI request failed")
    {
    }
}

/// <summary>The platform answered with a status other than SUCCESS.</summary>
public sealed class ScmiStatusException : ScmiClientException
{
    /// <summary>Creates the exception.</summary>
    public ScmiStatusException(string command, int status)
        : base($"{command}: {ScmiStatusNames.Describe(status)}")
    {
        Command = command;
        Status = status;
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiStatusException()
    {
        Command = "";
    }

    /// <summary>Creates the exception with a message.</summary>
    public ScmiStatusException(string message)
        : base(message)
    {
        Command = "";
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ScmiStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "";
    }

    /// <summary>The command's spec name.</summary>
    public string Command { get; }

    /// <summary>The status word.</summary>
    public int Status { get; }

    /// <summary>The status as the enum (values outside it stay numeric).</summary>
    public ScmiStatus StatusCode => (ScmiStatus)Status;
}

/// <summary>No reply within the request's timeout. Its token stays reserved until a late reply arrives.</summary>
public sealed class ScmiTimeoutException : ScmiClientException
{
    /// <summary>Creates the exception.</summary>
    public ScmiTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiTimeoutException()
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ScmiTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The channel closed or broke; every pending request fails with this.</summary>
public sealed class ScmiDisconnectedException : ScmiClientException
{
    /// <summary>Creates the exception.</summary>
    public ScmiDisconnectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ScmiDisconnectedException()
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ScmiDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
