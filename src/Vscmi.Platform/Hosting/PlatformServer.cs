using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform.Telemetry;
using Vscmi.Transport;

namespace Vscmi.Platform.Hosting;

/// <summary>Serves a <see cref="ScmiPlatform"/> on stream-socket endpoints, each bound to one agent.</summary>
public sealed partial class PlatformServer : IAsyncDisposable
{
    private readonly ScmiPlatform _platform;
    private readonly ILogger _logger;
    private readonly List<(Socket Socket, StreamEndpoint Endpoint, int AgentId)> _listeners = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TransportCapabilities _capabilities;

    /// <summary>Creates a server; call <see cref="Listen"/> then <see cref="Start"/>.</summary>
    public PlatformServer(ScmiPlatform platform, TransportCapabilities capabilities, ILogger? logger = null)
    {
        _platform = platform;
        _capabilities = capabilities;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Binds an endpoint for an agent. A stale Unix socket file is replaced.</summary>
    /// <exception cref="SocketException">The address is in use or not allowed.</exception>
    public void Listen(StreamEndpoint endpoint, int agentId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.UnixPath is { } path)
            UnixSocketPath.RemoveStale(path);

        var socket = endpoint.CreateSocket();
        try
        {
            socket.Bind(endpoint.EndPoint);
            socket.Listen(16);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listeners.Add((socket, endpoint, agentId));
        // A TCP port 0 became a real one: say which, so a client (or a test) can find it.
        var text = endpoint.UnixPath is null && socket.LocalEndPoint is IPEndPoint bound ? $"tcp:{bound}" : endpoint.ToString();
        LogListening(text, _platform.Model.Agents[agentId - 1].Name, agentId);
    }

    /// <summary>Starts accepting on every endpoint.</summary>
    public void Start()
    {
        foreach (var (socket, endpoint, agentId) in _listeners)
            _tasks.Add(AcceptLoopAsync(socket, endpoint, agentId, _stopping.Token));
    }

    /// <summary>
    /// Serves one channel until the peer closes it or <paramref name="cancellationToken"/> fires.
    /// Malformed framing ends this channel only; an oversized message is answered with PROTOCOL_ERROR.
    /// </summary>
    public static async Task ServeAsync(ScmiPlatform platform, IScmiTransport transport, int agentId, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(transport);
        var session = platform.OpenSession(agentId, transport.Capabilities.MaxPayload, transport.Capabilities.HasP2A);
        // Replies and platform messages share one ordered stream but are written from two loops:
        // a delayed response waits until its command's reply has been written (reference 5.6).
        session.GateDelayedResponses = true;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var p2a = transport.Capabilities.HasP2A ? SendPlatformMessagesAsync(session, transport, stop.Token) : Task.CompletedTask;
        try
        {
            await ServeCommandsAsync(platform, session, transport, logger, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            platform.CloseSession(session);
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await p2a.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ScmiTransportException)
            {
                // The channel is going away; undelivered notifications go with it.
            }
        }
    }

    private static async Task ServeCommandsAsync(ScmiPlatform platform, AgentSession session, IScmiTransport transport, ILogger logger, CancellationToken cancellationToken)
    {
        var request = new byte[ScmiHeader.Size + session.MaxPayload];
        var reply = new byte[session.ReplyBufferSize];
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await transport.ReceiveAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (OversizedMessageException e)
            {
                LogOversized(logger, transport.Description, e.Length);
                await transport.SendAsync(reply.AsMemory(0, ScmiPlatform.AnswerOversized(e.Header, reply)), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (length == 0)
                return;
            var replyLength = platform.Handle(session, request.AsSpan(0, length), reply);
            if (replyLength > 0)
                await transport.SendAsync(reply.AsMemory(0, replyLength), cancellationToken).ConfigureAwait(false);
            else
                await transport.FlushAsync(cancellationToken).ConfigureAwait(false); // no reply: the batch before it must not wait for the next
            session.RepliesDelivered(session.CommandsHandled);
        }
    }

    /// <summary>Notifications (and later delayed responses) go out as the platform produces them, between replies.</summary>
    private static async Task SendPlatformMessagesAsync(AgentSession session, IScmiTransport transport, CancellationToken cancellationToken)
    {
        await foreach (var message in session.Outbox.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await transport.SendAsync(message, cancellationToken).ConfigureAwait(false);
            // A coalescing transport may hold it behind replies still to come; an idle agent must get it now.
            await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
            session.MessageDelivered(message);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, endpoint, _) in _listeners)
        {
            socket.Dispose();
            if (endpoint.UnixPath is { } path)
                File.Delete(path);
        }

        try
        {
            await Task.WhenAll(_tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, StreamEndpoint endpoint, int agentId, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        var number = 0;
        var refused = 0L;
        var lastWarning = Environment.TickCount64 - 10_000; // the first refusal is warned about at once
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            var name = $"{endpoint}#{++number}";
            connections.RemoveAll(t => t.IsCompleted);
            // Each connection has a thread: the agent's limit per socket keeps a local client from
            // making thousands. Over it, closed at once; counted; warned about once per 10 s.
            var agent = _platform.Model.Agents[agentId - 1];
            if (connections.Count >= agent.MaxConnections)
            {
                socket.Dispose();
                refused++;
                PlatformMetrics.LimitHits.Add(1, new KeyValuePair<string, object?>(PlatformMetrics.AgentTag, agent.Name), new KeyValuePair<string, object?>(PlatformMetrics.LimitTag, "connections"));
                if (Environment.TickCount64 - lastWarning >= 10_000)
                {
                    LogTooManyConnections(endpoint.ToString(), agent.Name, agent.MaxConnections, refused);
                    lastWarning = Environment.TickCount64;
                    refused = 0;
                }

                continue;
            }

            // Each connection's commands run on a thread of its own, blocked in recv(2) between
            // bursts, as a VM's data plane waits on its kick eventfd: one wake-up per burst (the
            // socket engine's thread plus a pool thread cost 2.4× the daemon's CPU per message at
            // 64 in flight). A delay or late fault then holds this connection's thread only.
            var transport = new StreamSocketTransport(socket, _capabilities, name) { CoalesceReplies = true, Synchronous = true };
            connections.Add(Task.Factory.StartNew(
                () => ServeConnectionAsync(transport, agentId, cancellationToken).GetAwaiter().GetResult(),
                CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task ServeConnectionAsync(StreamSocketTransport transport, int agentId, CancellationToken cancellationToken)
    {
        var agent = _platform.Model.Agents[agentId - 1].Name;
        LogConnected(transport.Description, agent, agentId);
        using var stopping = cancellationToken.Register(static t => ((StreamSocketTransport)t!).Interrupt(), transport);
        try
        {
            await ServeAsync(_platform, transport, agentId, _logger, cancellationToken).ConfigureAwait(false);
            LogDisconnected(transport.Description, agent);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ScmiTransportException e)
        {
            LogBroken(transport.Description, agent, e.Message);
        }
#pragma warning disable CA1031 // The last resort of this connection: a bug ends it, never the accept loop or another agent.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(e, transport.Description, agent);
        }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "{Endpoint}: agent {Agent} has its {Limit} connections open (max_connections); closed {Refused} more since the last warning")]
    private partial void LogTooManyConnections(string endpoint, string agent, int limit, long refused);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "listening on {Endpoint} for agent {Agent} ({AgentId})")]
    private partial void LogListening(string endpoint, string agent, int agentId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "{Connection}: agent {Agent} ({AgentId}) connected")]
    private partial void LogConnected(string connection, string agent, int agentId);

    // An expected disconnect is not an error (STYLE 18).
    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Connection}: agent {Agent} disconnected")]
    private partial void LogDisconnected(string connection, string agent);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Connection}: agent {Agent}: closing a broken channel: {Reason}")]
    private partial void LogBroken(string connection, string agent, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "{Connection}: a {Length}-byte message exceeds the channel; answered PROTOCOL_ERROR")]
    private static partial void LogOversized(ILogger logger, string connection, int length);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Connection}: closed after an internal error (a bug) serving agent {Agent}")]
    private partial void LogFailed(Exception exception, string connection, string agent);
}
