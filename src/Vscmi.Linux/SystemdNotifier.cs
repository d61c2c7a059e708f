using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Vscmi.Linux;

/// <summary>
/// systemd's service notification protocol (sd_notify(3)): datagrams such as <c>READY=1</c> to
/// the socket named by <c>NOTIFY_SOCKET</c> (a path, or <c>@name</c> in the abstract namespace),
/// and <c>WATCHDOG=1</c> keep-alives at half of <c>WATCHDOG_USEC</c> when the unit sets
/// <c>WatchdogSec</c>. Our own few lines rather than Microsoft.Extensions.Hosting.Systemd: the
/// daemon has no generic host, and this stays trimmable and AOT-safe with nothing added.
/// A send that fails is reported to the caller's logger, never thrown: systemd going away must
/// not take the platform with it.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly Action<string>? _onError;
    private readonly Lock _lock = new();
    private ITimer? _watchdog;

    private SystemdNotifier(string address, Action<string>? onError)
    {
        // "@name" is the abstract namespace: a leading NUL on the wire.
        _endPoint = new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _onError = onError;
        Address = address;
    }

    /// <summary>Where notifications go (as NOTIFY_SOCKET names it).</summary>
    public string Address { get; }

    /// <summary>
    /// The notifier systemd asked for through the environment, or null when the process was not
    /// started by systemd as <c>Type=notify</c> (no NOTIFY_SOCKET, or one that is neither a path nor abstract).
    /// </summary>
    /// <param name="onError">Told, in a sentence, about a notification that could not be sent.</param>
    public static SystemdNotifier? FromEnvironment(Action<string>? onError = null)
    {
        var address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(address) || (address[0] != '/' && address[0] != '@') || address.Length < 2)
            return null;
        return new SystemdNotifier(address, onError);
    }

    /// <summary>
    /// The watchdog interval systemd expects keep-alives within (WATCHDOG_USEC, for this process
    /// when WATCHDOG_PID names it), or null when the unit has no WatchdogSec.
    /// </summary>
    public static TimeSpan? WatchdogInterval()
    {
        if (!ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec == 0)
            return null;
        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            return null;
        return TimeSpan.FromMicroseconds(usec);
    }

    /// <summary>Sends one notification (newline-separated assignments); false when it could not be sent.</summary>
    public bool Notify(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            lock (_lock)
                _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endPoint);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _onError?.Invoke($"cannot notify systemd at {Address} ({state.Split('\n')[0]}): {e.Message}");
            return false;
        }
    }

    /// <summary>READY=1 with a status line: every socket listens and the daemon serves.</summary>
    public bool Ready(string status) => Notify($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>RELOADING=1, with the monotonic time systemd's Type=notify-reload wants.</summary>
    public bool Reloading() => Notify($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds().ToString(CultureInfo.InvariantCulture)}");

    /// <summary>STOPPING=1: shutting down.</summary>
    public bool Stopping() => Notify("STOPPING=1");

    /// <summary>Sends WATCHDOG=1 every half <paramref name="interval"/> until disposed.</summary>
    public void StartWatchdog(TimeSpan interval)
    {
        var period = interval / 2;
        lock (_lock)
        {
            _watchdog?.Dispose();
            _watchdog = TimeProvider.System.CreateTimer(_ => Notify("WATCHDOG=1"), null, TimeSpan.Zero, period);
        }
    }

    // CLOCK_MONOTONIC in microseconds: Stopwatch's clock on Linux.
    private static long MonotonicMicroseconds() => System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _watchdog?.Dispose();
            _watchdog = null;
        }

        _socket.Dispose();
    }
}
