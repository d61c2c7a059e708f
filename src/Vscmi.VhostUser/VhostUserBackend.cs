using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform;
using Vscmi.Transport;

namespace Vscmi.VhostUser;

/// <summary>
/// A vhost-user virtio-scmi backend on one Unix socket: one VM, one agent. It listens (QEMU is the
/// client), serves one frontend connection at a time, resets the device when the frontend goes
/// away and serves the next connection (VM reboot, QEMU restart) without restarting the daemon.
/// Or it connects (<see cref="Connect"/>: QEMU's chardev is the server), and connects again
/// whenever the connection ends: QEMU then resumes the running device on the new connection, so a
/// VM outlives a restart of the daemon.
/// </summary>
public sealed partial class VhostUserBackend : IAsyncDisposable
{
    private readonly ScmiPlatform _platform;
    private readonly int _agentId;
    private readonly ILogger _logger;
    private readonly Socket? _listener;  // null: this backend connects to QEMU's socket
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _connections;

    private VhostUserBackend(ScmiPlatform platform, int agentId, string path, Socket? listener, ILogger logger)
    {
        _platform = platform;
        _agentId = agentId;
        Path = path;
        _listener = listener;
        _logger = logger;
    }

    /// <summary>The socket path.</summary>
    public string Path { get; }

    /// <summary>The agent this VM is.</summary>
    public int AgentId => _agentId;

    /// <summary>
    /// Binds <paramref name="path"/> for agent <paramref name="agentId"/>. A stale socket file (no
    /// one listening) is replaced; a live one is an error.
    /// </summary>
    /// <exception cref="SocketException">The path is in use or not allowed.</exception>
    public static VhostUserBackend Listen(ScmiPlatform platform, int agentId, string path, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var listener = UnixSocketPath.Listen(path, 16);
        var backend = new VhostUserBackend(platform, agentId, path, listener, logger ?? NullLogger.Instance);
        backend.LogListening(path, platform.Model.Agents[agentId - 1].Name, agentId);
        return backend;
    }

    /// <summary>Whether this backend connects to the frontend's socket instead of listening.</summary>
    public bool Connects => _listener is null;

    /// <summary>How long to wait between attempts to reach a frontend's socket that is not there (yet, or any more).</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A backend that connects to <paramref name="path"/>, where QEMU listens
    /// (<c>-chardev socket,path=PATH,server=on,wait=on</c>), for agent <paramref name="agentId"/>;
    /// it tries every <see cref="RetryInterval"/> until the socket answers, and again after each
    /// connection ends. QEMU 10's vhost-user-scmi resumes a started device on a new connection
    /// without the feature handshake (SET_FEATURES, SET_MEM_TABLE and the rings only), which the
    /// backend accepts, so the guest goes on after the daemon restarts.
    /// </summary>
    public static VhostUserBackend Connect(ScmiPlatform platform, int agentId, string path, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var backend = new VhostUserBackend(platform, agentId, path, null, logger ?? NullLogger.Instance);
        backend.LogConnecting(path, platform.Model.Agents[agentId - 1].Name, agentId);
        return backend;
    }

    /// <summary>Starts accepting frontends (or connecting to one).</summary>
    public void Start() => _acceptLoop = _listener is null ? ConnectLoopAsync(_stopping.Token) : AcceptLoopAsync(_stopping.Token);

    private async Task ConnectLoopAsync(CancellationToken cancellationToken)
    {
        var waiting = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path), cancellationToken).ConfigureAwait(false);
                waiting = false;
                await ServeAsync(socket, $"{Path}#{Interlocked.Increment(ref _connections)}", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                socket.Dispose();
                if (!waiting)
                    LogWaiting(Path, e.Message, RetryInterval.TotalMilliseconds);
                waiting = true;
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                break;
            }

            // Between attempts, and after a connection ends too: a frontend that accepts and closes
            // at once must not turn this into a busy loop.
            try
            {
                await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        var serving = Task.CompletedTask;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            var number = Interlocked.Increment(ref _connections);
            // A frontend that just closed (a VM rebooting, QEMU restarting, a quick reconnect) may
            // not have been noticed yet: give its connection a moment to finish.
            if (!serving.IsCompleted)
                await Task.WhenAny(serving, Task.Delay(1000, cancellationToken)).ConfigureAwait(false);
            if (!serving.IsCompleted)
            {
                // A VM has one virtio-scmi device: a second frontend while one is connected is
                // refused at once (closing it tells it so), rather than left waiting.
                LogBusy($"{Path}#{number}");
                socket.Dispose();
                continue;
            }

            serving = ServeAsync(socket, $"{Path}#{number}", cancellationToken);
        }

        await serving.ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket socket, string name, CancellationToken cancellationToken)
    {
        var agent = _platform.Model.Agents[_agentId - 1].Name;
        LogConnected(name, agent, _agentId);
        var connection = new BackendConnection(new VhostUserChannel(socket), _platform, _agentId, name, _logger);
        VhostUserMetrics.Connections.Add(1);
        VhostUserMetrics.ActiveConnections.Add(1);
        try
        {
            await connection.RunAsync(cancellationToken).ConfigureAwait(false);
            LogDisconnected(name, agent);
        }
        catch (OperationCanceledException)
        {
        }
        catch (VhostUserProtocolException e)
        {
            LogBroken(name, agent, e.Message);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            LogBroken(name, agent, e.Message);
        }
#pragma warning disable CA1031 // The last resort of this connection: a bug ends it, never the accept loop or another VM.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(e, name, agent);
        }
        finally
        {
            VhostUserMetrics.ActiveConnections.Add(-1);
            connection.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        if (_listener is not null)
            File.Delete(Path); // a socket QEMU listens on is QEMU's
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "vhost-user: listening on {Path} for agent {Agent} ({AgentId})")]
    private partial void LogListening(string path, string agent, int agentId);

    [LoggerMessage(EventId = 416, Level = LogLevel.Information, Message = "vhost-user: connecting to {Path} (QEMU listens there) for agent {Agent} ({AgentId})")]
    private partial void LogConnecting(string path, string agent, int agentId);

    [LoggerMessage(EventId = 417, Level = LogLevel.Information, Message = "vhost-user: no frontend listens on {Path} yet ({Reason}); trying again every {RetryMs} ms")]
    private partial void LogWaiting(string path, string reason, double retryMs);

    [LoggerMessage(EventId = 411, Level = LogLevel.Information, Message = "{Connection}: frontend connected (agent {Agent}, {AgentId})")]
    private partial void LogConnected(string connection, string agent, int agentId);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "{Connection}: frontend of agent {Agent} disconnected; device reset, waiting for the next")]
    private partial void LogDisconnected(string connection, string agent);

    [LoggerMessage(EventId = 414, Level = LogLevel.Warning, Message = "{Connection}: refused: another frontend is connected to this VM's socket")]
    private partial void LogBusy(string connection);

    [LoggerMessage(EventId = 415, Level = LogLevel.Error, Message = "{Connection}: closed after an internal error (a bug) serving agent {Agent}; the socket serves the next frontend")]
    private partial void LogFailed(Exception exception, string connection, string agent);

    [LoggerMessage(EventId = 413, Level = LogLevel.Warning, Message = "{Connection}: agent {Agent}: closing a broken vhost-user connection: {Reason}")]
    private partial void LogBroken(string connection, string agent, string reason);
}
