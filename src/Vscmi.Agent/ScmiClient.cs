using System.Buffers.Binary;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Transport;

namespace Vscmi.Agent;

/// <summary>Options of an <see cref="ScmiClient"/>.</summary>
public sealed record ScmiClientOptions
{
    /// <summary>
    /// Ask each protocol's PROTOCOL_VERSION before its first other command, as Linux does, and
    /// speak that version's layouts (an SCMI 2.0 platform gets 2-word CLOCK_CONFIG_SETs and is
    /// read with 2.0's replies). Off: every message uses the catalog's v3.2 layouts.
    /// </summary>
    public bool LearnPlatformVersions { get; init; } = true;

    /// <summary>
    /// How long a command waits for its response; null (the default) takes the transport's
    /// <see cref="TransportCapabilities.ReplyTimeout"/>.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How long an asynchronous command waits for its delayed response (Linux: 2 s).</summary>
    public TimeSpan DelayedResponseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How replies are checked. Relaxed by default: real firmware sometimes sets reserved bits.</summary>
    public DecodeOptions Decode { get; init; } = DecodeOptions.Relaxed;

    /// <summary>Notifications kept while nobody reads them; the oldest are dropped beyond this.</summary>
    public int NotificationBacklog { get; init; } = 256;
}

/// <summary>
/// An SCMI agent over any <see cref="IScmiTransport"/>: monotonic tokens with an in-flight bitmap,
/// one reader that routes replies by token, per-request timeouts and cancellation, delayed
/// responses, and notifications as an async stream. Typed per-protocol APIs build on
/// <see cref="CallAsync{TResponse}(IScmiRequest{TResponse}, CancellationToken)"/> and the records generated from the message descriptions.
/// </summary>
public sealed partial class ScmiClient : IAsyncDisposable
{
    private readonly IScmiTransport _transport;
    private readonly ScmiClientOptions _options;
    private readonly ILogger _logger;
    private readonly TokenAllocator _tokens = new();
    private readonly Pending?[] _pending = new Pending?[ScmiHeader.MaxToken + 1];

    // Each protocol's version as the platform reported it (0: not asked yet; uint.MaxValue: it
    // would not say). Requests are encoded and replies decoded with that version's layouts, so
    // the agent speaks SCMI 2.0 to a 2.0 platform (reference 1.8).
    private readonly uint[] _platformVersions = new uint[256];

    // The caller's decode options, reading each protocol at the version the platform reported.
    private readonly DecodeOptions _decode;
    private readonly Lock _sync = new();
    private readonly Channel<ScmiMessage> _notifications;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;
    private Exception? _closed;

    /// <summary>Starts an agent on a connected transport.</summary>
    public ScmiClient(IScmiTransport transport, ScmiClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new ScmiClientOptions();
        _decode = _options.Decode with { Protocols = ProtocolAsSpoken };
        _logger = logger ?? NullLogger.Instance;
        _notifications = Channel.CreateBounded<ScmiMessage>(new BoundedChannelOptions(_options.NotificationBacklog)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
        _reader = Task.Run(ReadLoopAsync);
        Base = new BaseClient(this);
        Power = new PowerClient(this);
        System = new SystemPowerClient(this);
        Perf = new PerfClient(this);
        Clock = new ClockClient(this);
        Sensor = new SensorClient(this);
        Reset = new ResetClient(this);
        Voltage = new VoltageClient(this);
        Powercap = new PowercapClient(this);
        Pinctrl = new PinctrlClient(this);
        Vendor = new VscmiClient(this);
    }

    /// <summary>Base protocol commands.</summary>
    public BaseClient Base { get; }

    /// <summary>Power domain commands.</summary>
    public PowerClient Power { get; }

    /// <summary>System power commands.</summary>
    public SystemPowerClient System { get; }

    /// <summary>Performance domain commands.</summary>
    public PerfClient Perf { get; }

    /// <summary>Clock commands.</summary>
    public ClockClient Clock { get; }

    /// <summary>Sensor commands.</summary>
    public SensorClient Sensor { get; }

    /// <summary>Reset domain commands.</summary>
    public ResetClient Reset { get; }

    /// <summary>Voltage domain commands.</summary>
    public VoltageClient Voltage { get; }

    /// <summary>Power capping commands.</summary>
    public PowercapClient Powercap { get; }

    /// <summary>Pin control commands.</summary>
    public PinctrlClient Pinctrl { get; }

    /// <summary>vscmi's vendor protocol (0x80; trusted agents only).</summary>
    public VscmiClient Vendor { get; }

    /// <summary>The transport's limits.</summary>
    public TransportCapabilities Capabilities => _transport.Capabilities;

    /// <summary>Tokens currently reserved (requests in flight, and timed-out ones whose reply has not come).</summary>
    public int TokensInUse => _tokens.InUse;

    /// <summary>Connects a stream endpoint (<c>unix:PATH</c> or <c>tcp:HOST:PORT</c>).</summary>
    /// <exception cref="ScmiDisconnectedException">The connection was refused; the message names the endpoint and the likely cause.</exception>
    public static async Task<ScmiClient> ConnectAsync(string endpoint, ScmiClientOptions? options = null, int maxPayload = 128, CancellationToken cancellationToken = default)
    {
        var parsed = StreamEndpoint.Parse(endpoint);
        try
        {
            var transport = await StreamSocketTransport.ConnectAsync(parsed, new TransportCapabilities(maxPayload, MaxInFlight: 64, HasP2A: true), cancellationToken).ConfigureAwait(false);
            return new ScmiClient(transport, options);
        }
        catch (global::System.Net.Sockets.SocketException e)
        {
            var hint = e.SocketErrorCode switch
            {
                global::System.Net.Sockets.SocketError.AddressNotAvailable or global::System.Net.Sockets.SocketError.ConnectionRefused when parsed.UnixPath is not null
                    => File.Exists(parsed.UnixPath) ? "the socket exists but nothing listens on it (a stale socket of a stopped vscmi serve?)" : "no such socket: is 'vscmi serve' running, and in which directory?",
                global::System.Net.Sockets.SocketError.ConnectionRefused => "nothing listens on that port: is 'vscmi serve --tcp' running?",
                global::System.Net.Sockets.SocketError.AccessDenied => "permission denied on the socket",
                _ => e.Message,
            };
            throw new ScmiDisconnectedException($"cannot connect to {parsed}: {hint}", e);
        }
    }

    /// <summary>
    /// Sends a command and returns its response, whatever its status. With
    /// <paramref name="expectDelayed"/>, a SUCCESS response keeps the token reserved for the
    /// delayed response, which <see cref="ScmiResponse.Delayed"/> then completes.
    /// </summary>
    /// <exception cref="ScmiTimeoutException">No response within <see cref="ScmiClientOptions.Timeout"/> (or the transport's <see cref="TransportCapabilities.ReplyTimeout"/>).</exception>
    /// <exception cref="ScmiDisconnectedException">The channel closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a late reply is still matched and dropped.</exception>
    public async Task<ScmiResponse> RequestAsync(ScmiProtocolId protocol, byte messageId, FieldSet parameters, bool expectDelayed = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _ = ScmiCatalog.FindMessage((byte)protocol, messageId)
            ?? throw new ArgumentException($"no {protocol} message 0x{messageId:X2} in the catalog");
        if (messageId != 0 && _options.LearnPlatformVersions && Volatile.Read(ref _platformVersions[(byte)protocol]) == 0)
            await LearnVersionAsync(protocol, cancellationToken).ConfigureAwait(false);
        // A message the platform's version lacks still goes out (in its newest form): the platform's answer is the truth.
        var speaks = ProtocolAsSpoken((byte)protocol) is { } versioned && versioned.FindMessage(messageId) is not null ? versioned : ScmiCatalog.Find((byte)protocol)!;
        var spec = speaks.FindMessage(messageId)!;
        if (_closed is { } closed)
            throw new ScmiDisconnectedException("the SCMI channel is closed", closed);
        if (!_tokens.TryAllocate(out var token))
            throw new ScmiClientException($"all {ScmiHeader.MaxToken + 1} tokens are in flight");

        var header = new ScmiHeader(messageId, ScmiMessageType.COMMAND, (byte)protocol, token);
        byte[] request;
        try
        {
            request = ScmiMessageCodec.EncodeToArray(speaks, header, ScmiMessageKind.Command, 0, parameters);
        }
        catch
        {
            _tokens.Release(token);
            throw;
        }

        if (request.Length - ScmiHeader.Size > _transport.Capabilities.MaxPayload)
        {
            _tokens.Release(token);
            throw new ArgumentException($"{spec.Name}: {request.Length - 4} bytes of parameters exceed the channel's {_transport.Capabilities.MaxPayload}");
        }

        var pending = new Pending(spec, expectDelayed);
        lock (_sync)
            _pending[token] = pending;

        return await SendAndWaitAsync(request, token, pending, pending.Response.Task, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a command exactly as given (header and parameters, even ones the catalog would refuse)
    /// under a token of this client's, and returns the reply's bytes undecoded, its header carrying
    /// that token. For replaying recorded traffic (<c>vscmi replay</c>); a delayed response it may
    /// cause is not waited for. The message must be a command the catalog knows.
    /// </summary>
    /// <exception cref="ArgumentException">Not a command of a known message, or larger than the channel.</exception>
    /// <exception cref="ScmiTimeoutException">No reply in time.</exception>
    /// <exception cref="ScmiDisconnectedException">The channel closed.</exception>
    public async Task<byte[]> RequestRawAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
    {
        if (command.Length < ScmiHeader.Size)
            throw new ArgumentException($"a command of {command.Length} bytes has no header", nameof(command));
        var original = ScmiHeader.FromValueUnchecked(global::System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(command.Span));
        var spec = ScmiCatalog.FindMessage(original.ProtocolId, original.MessageId)
            ?? throw new ArgumentException($"protocol 0x{original.ProtocolId:X2} message 0x{original.MessageId:X2} is not in the catalog", nameof(command));
        if (command.Length - ScmiHeader.Size > _transport.Capabilities.MaxPayload)
            throw new ArgumentException($"{spec.Name}: {command.Length - 4} bytes of parameters exceed the channel's {_transport.Capabilities.MaxPayload}", nameof(command));
        if (_closed is { } closed)
            throw new ScmiDisconnectedException("the SCMI channel is closed", closed);
        if (!_tokens.TryAllocate(out var token))
            throw new ScmiClientException($"all {ScmiHeader.MaxToken + 1} tokens are in flight");
        var request = command.ToArray();
        var word = (original.Value & ~(uint)(ScmiHeader.MaxToken << 18)) | ((uint)token << 18); // token: header bits 27:18 (reference 1.1)
        global::System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(request, word);
        var pending = new Pending(spec, expectDelayed: false, raw: true);
        lock (_sync)
            _pending[token] = pending;
        return await SendAndWaitAsync(request, token, pending, pending.Raw!.Task, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request whose token is already registered and waits for <paramref name="reply"/>
    /// within the reply timeout; a timeout, cancellation or closed channel gives the token up.
    /// </summary>
    private async Task<T> SendAndWaitAsync<T>(byte[] request, ushort token, Pending pending, Task<T> reply, CancellationToken cancellationToken)
    {
        var spec = pending.Spec;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var replyTimeout = _options.Timeout ?? _transport.Capabilities.ReplyTimeout;
        timeout.CancelAfter(replyTimeout);
        try
        {
            await _transport.SendAsync(request, timeout.Token).ConfigureAwait(false);
            return await reply.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!reply.IsCompleted)
        {
            Abandon(token, pending);
            if (cancellationToken.IsCancellationRequested)
                throw;
            if (_closed is { } reason)
                throw new ScmiDisconnectedException("the SCMI channel closed", reason);
            throw new ScmiTimeoutException($"{spec.Name} (token {token}): no response within {replyTimeout.TotalMilliseconds:0} ms");
        }
        catch (ScmiTransportException e)
        {
            Abandon(token, pending);
            throw new ScmiDisconnectedException($"{spec.Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The version the platform reports for a protocol (PROTOCOL_VERSION, asked once before the
    /// protocol's first other command), or null before that or when it would not say.
    /// </summary>
    public uint? PlatformVersion(ScmiProtocolId protocol) =>
        Volatile.Read(ref _platformVersions[(byte)protocol]) is var v && v != 0 && v != uint.MaxValue ? v : null;

    private async Task LearnVersionAsync(ScmiProtocolId protocol, CancellationToken cancellationToken)
    {
        var response = await RequestAsync(protocol, 0x0, new FieldSet(), cancellationToken: cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _platformVersions[(byte)protocol], response.Status == 0 ? Protocol.Messages.BaseMessages.ProtocolVersionResponse.From(response.Message.Fields).Version : uint.MaxValue);
    }

    /// <summary>A protocol's description at the version the platform reported (the catalog's when unknown).</summary>
    private ProtocolSpec? ProtocolAsSpoken(byte protocolId)
    {
        var latest = ScmiCatalog.Find(protocolId);
        var version = Volatile.Read(ref _platformVersions[protocolId]);
        return latest is null || version == 0 || version == uint.MaxValue ? latest : latest.At(version);
    }


    /// <summary>Sends a command and returns its return values; a non-SUCCESS status throws <see cref="ScmiStatusException"/>.</summary>
    public async Task<FieldSet> CallAsync(ScmiProtocolId protocol, byte messageId, FieldSet parameters, CancellationToken cancellationToken = default)
    {
        var response = await RequestAsync(protocol, messageId, parameters, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.EnsureSuccess();
    }

    /// <summary>
    /// Sends a command built from its generated record (<c>Vscmi.Protocol.Messages</c>) and reads
    /// its return values into the response record; a non-SUCCESS status throws <see cref="ScmiStatusException"/>.
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(IScmiRequest<TResponse> request, CancellationToken cancellationToken = default)
        where TResponse : IScmiRecord<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        return TResponse.From(await CallAsync(request.Protocol, request.MessageId, request.ToFields(), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends a command built from its generated record and returns the whole response (any status).</summary>
    public Task<ScmiResponse> RequestAsync(IScmiRequest request, bool expectDelayed = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RequestAsync(request.Protocol, request.MessageId, request.ToFields(), expectDelayed, cancellationToken);
    }

    /// <summary>Notifications as they arrive (a single reader; bounded, oldest dropped).</summary>
    public IAsyncEnumerable<ScmiMessage> ReadNotificationsAsync(CancellationToken cancellationToken = default) =>
        _notifications.Reader.ReadAllAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _closing.Dispose();
    }

    /// <summary>A request gave up waiting: keep its token reserved until the late reply comes.</summary>
    private void Abandon(ushort token, Pending pending)
    {
        lock (_sync)
        {
            if (ReferenceEquals(_pending[token], pending))
                pending.Abandoned = true;
        }

        pending.Delayed?.TrySetCanceled();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[_transport.Capabilities.MaxMessageSize];
        Exception reason;
        try
        {
            while (true)
            {
                int length;
                try
                {
                    length = await _transport.ReceiveAsync(buffer, _closing.Token).ConfigureAwait(false);
                }
                catch (OversizedMessageException e)
                {
                    LogOversized(e.Length);
                    continue;
                }

                if (length == 0)
                {
                    reason = new ScmiDisconnectedException("the platform closed the channel");
                    break;
                }

                Route(buffer.AsSpan(0, length));
            }
        }
        catch (OperationCanceledException e)
        {
            reason = new ScmiDisconnectedException("the client was disposed", e);
        }
        catch (ScmiTransportException e)
        {
            reason = new ScmiDisconnectedException(e.Message, e);
        }

        _closed = reason;
        Pending?[] pending;
        lock (_sync)
        {
            pending = (Pending?[])_pending.Clone();
            Array.Clear(_pending);
        }

        foreach (var p in pending)
        {
            p?.Response.TrySetException(reason);
            p?.Delayed?.TrySetException(reason);
        }

        _tokens.Reset();
        _notifications.Writer.TryComplete();
    }

    private void Route(ReadOnlySpan<byte> message)
    {
        if (message.Length < ScmiHeader.Size)
            return;
        var header = ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(message));
        switch (header.Type)
        {
            case ScmiMessageType.NOTIFICATION:
                try
                {
                    _notifications.Writer.TryWrite(ScmiMessageCodec.Decode(message, ScmiMessageKind.Notification, _decode, _transport.Capabilities.MaxPayload));
                }
                catch (ScmiProtocolException e)
                {
                    LogBadNotification(header.Value, e.Message);
                }

                return;
            case ScmiMessageType.COMMAND:
                RouteResponse(header, message);
                return;
            case ScmiMessageType.DELAYED_RESPONSE:
                RouteDelayed(header, message);
                return;
            default:
                LogUnexpected(header.Value);
                return;
        }
    }

    private void RouteResponse(ScmiHeader header, ReadOnlySpan<byte> message)
    {
        Pending? pending;
        lock (_sync)
        {
            pending = _pending[header.Token];
            if (pending is null)
            {
                LogUnexpected(header.Value);
                return;
            }

            if (pending.Abandoned || pending.Spec.Id != header.MessageId || (byte)pending.Spec.Protocol != header.ProtocolId)
            {
                // A late reply to a request that gave up (or garbage): it frees its token, nothing else.
                _pending[header.Token] = null;
                _tokens.Release(header.Token);
                if (!pending.Abandoned)
                    pending.Response.TrySetException(new ScmiClientException($"{pending.Spec.Name}: the reply's header 0x{header.Value:X8} names another message"));
                return;
            }
        }

        if (pending.Raw is { } raw)
        {
            Complete(header.Token, pending, keep: false);
            raw.TrySetResult(message.ToArray());
            return;
        }

        ScmiResponse response;
        try
        {
            var decoded = ScmiMessageCodec.Decode(message, ScmiMessageKind.Response, _decode, _transport.Capabilities.MaxPayload);
            response = new ScmiResponse(decoded, pending.Delayed?.Task);
        }
        catch (ScmiProtocolException e)
        {
            Complete(header.Token, pending, keep: false);
            pending.Response.TrySetException(new ScmiClientException($"{pending.Spec.Name}: malformed reply: {e.Message}", e));
            return;
        }

        // An accepted asynchronous command keeps its token until the delayed response.
        var keep = pending.Delayed is not null && response.Status == 0;
        Complete(header.Token, pending, keep);
        if (!keep)
            pending.Delayed?.TrySetException(new ScmiStatusException(pending.Spec.Name, response.Status));
        pending.Response.TrySetResult(response);
    }

    private void RouteDelayed(ScmiHeader header, ReadOnlySpan<byte> message)
    {
        Pending? pending;
        lock (_sync)
            pending = _pending[header.Token];
        if (pending?.Delayed is null || pending.Spec.Id != header.MessageId)
        {
            LogUnexpected(header.Value);
            return;
        }

        Complete(header.Token, pending, keep: false);
        try
        {
            pending.Delayed.TrySetResult(ScmiMessageCodec.Decode(message, ScmiMessageKind.DelayedResponse, _decode, _transport.Capabilities.MaxPayload));
        }
        catch (ScmiProtocolException e)
        {
            pending.Delayed.TrySetException(new ScmiClientException($"{pending.Spec.Name}: malformed delayed response: {e.Message}", e));
        }
    }

    private void Complete(ushort token, Pending pending, bool keep)
    {
        if (keep)
            return;
        lock (_sync)
        {
            if (ReferenceEquals(_pending[token], pending))
                _pending[token] = null;
        }

        _tokens.Release(token);
    }

    /// <summary>Waits for a delayed response with the delayed-response timeout.</summary>
    internal async Task<ScmiMessage> AwaitDelayedAsync(Task<ScmiMessage> delayed, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await delayed.WaitAsync(_options.DelayedResponseTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ScmiTimeoutException($"{name}: no delayed response within {_options.DelayedResponseTimeout.TotalMilliseconds:0} ms");
        }
    }

    private sealed class Pending(MessageSpec spec, bool expectDelayed, bool raw = false)
    {
        public MessageSpec Spec { get; } = spec;

        /// <summary>For <see cref="RequestRawAsync"/>: the reply's bytes, undecoded.</summary>
        public TaskCompletionSource<byte[]>? Raw { get; } = raw ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;

        public TaskCompletionSource<ScmiResponse> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ScmiMessage>? Delayed { get; } = expectDelayed ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;

        /// <summary>The caller gave up; guarded by the client's lock.</summary>
        public bool Abandoned { get; set; }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "dropped an unexpected message 0x{Header:X8} (no request with that token)")]
    private partial void LogUnexpected(uint header);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "dropped a malformed notification 0x{Header:X8}: {Reason}")]
    private partial void LogBadNotification(uint header, string reason);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "dropped a {Length}-byte message larger than the channel")]
    private partial void LogOversized(int length);
}

/// <summary>A command's response, and its delayed response when one was asked for.</summary>
/// <param name="Message">The decoded response.</param>
/// <param name="Delayed">Completes with the delayed response (only for accepted asynchronous commands).</param>
public sealed record ScmiResponse(ScmiMessage Message, Task<ScmiMessage>? Delayed)
{
    /// <summary>The status word.</summary>
    public int Status => Message.Status ?? 0;

    /// <summary>The return values, or <see cref="ScmiStatusException"/> for a failed command.</summary>
    public FieldSet EnsureSuccess() =>
        Status == 0 ? Message.Fields : throw new ScmiStatusException(Message.Name, Status);
}
