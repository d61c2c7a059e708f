namespace Vscmi.Linux;

/// <summary>Signals to other processes (what <see cref="System.Diagnostics.Process.Kill()"/> lacks: a polite SIGTERM).</summary>
public static class ProcessSignal
{
    private const int SIGTERM = 15;

    /// <summary>Asks a process to stop (SIGTERM), as systemd does; false when it is gone or not ours.</summary>
    public static bool Terminate(int pid) => Libc.Kill(pid, SIGTERM) == 0;
}
