using System.Globalization;

namespace Vscmi.Linux;

/// <summary>Signals to other processes (what <see cref="System.Diagnostics.Process.Kill()"/> lacks: a polite SIGTERM), and this process's own ignored signals.</summary>
public static class ProcessSignal
{
    private const int SIGTERM = 15;

    /// <summary>SIGHUP: <c>systemctl reload</c>'s signal, which <c>nohup</c> sets ignored.</summary>
    public const int SIGHUP = 1;

    /// <summary>Asks a process to stop (SIGTERM), as systemd does; false when it is gone or not ours.</summary>
    public static bool Terminate(int pid) => Libc.Kill(pid, SIGTERM) == 0;

    /// <summary>
    /// Whether this process ignores <paramref name="signal"/>: started with it ignored (nohup sets
    /// SIGHUP so, a shell's background job SIGINT), which the .NET runtime keeps, so a handler
    /// registered for it never runs. From the SigIgn mask of <c>/proc/self/status</c>; false when unreadable.
    /// </summary>
    public static bool IsIgnored(int signal)
    {
        try
        {
            return IsIgnored(File.ReadAllText("/proc/self/status"), signal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the "SigIgn:" line of a <c>/proc/PID/status</c> text (a 64-bit hexadecimal mask, bit
    /// N-1 for signal N: proc(5)) has <paramref name="signal"/>; false when the line is missing or malformed.
    /// </summary>
    public static bool IsIgnored(string status, int signal)
    {
        if (signal is < 1 or > 64)
            return false;
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith("SigIgn:", StringComparison.Ordinal))
                continue;
            var hex = line["SigIgn:".Length..].Trim();
            return hex.Length is > 0 and <= 16
                && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask)
                && (mask & (1UL << (signal - 1))) != 0;
        }

        return false;
    }
}
