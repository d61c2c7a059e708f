using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>A failed system call; keeps the errno (STYLE 7c).</summary>
public sealed class LinuxException : IOException
{
    /// <summary>Creates the exception for a failed call.</summary>
    public LinuxException(string call, int errno)
        : base($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno)
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>Creates the exception with a message.</summary>
    public LinuxException(string message)
        : base(message)
    {
        Call = "";
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public LinuxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Call = "";
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public LinuxException()
        : this("a system call failed")
    {
    }

    /// <summary>The call that failed (<c>mmap</c>, <c>recvmsg</c>...).</summary>
    public string Call { get; }

    /// <summary>The errno it set.</summary>
    public int Errno { get; }
}

/// <summary>The one errno-to-exception helper.</summary>
internal static class LinuxError
{
    /// <summary>Throws for the errno of the last call.</summary>
    internal static LinuxException Last(string call) => new(call, Marshal.GetLastPInvokeError());

    /// <summary>Returns <paramref name="result"/> or throws when it is negative.</summary>
    internal static int Check(int result, string call) => result >= 0 ? result : throw Last(call);
}
