using System.Runtime.InteropServices;

namespace Vscmi.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (systemd, kill) cancel <see cref="Token"/> instead of ending the
/// process at once, so a long command stops cleanly: the daemon says "stopping" and removes its
/// sockets, a trace closes its capture file, a scenario clears its faults.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    /// <summary>Registers both signals; <see cref="Token"/> is also cancelled with <paramref name="cancellationToken"/>.</summary>
    public StopSignals(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled by either signal or by the token given.</summary>
    public CancellationToken Token => _stop.Token;

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
