using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Vscmi.Cli.Control;

/// <summary>
/// The daemon's control socket (docs/control.md): a Unix stream socket, mode 0600 so only its
/// owner can use it, carrying JSON lines — one request object, one response object, per line.
/// A malformed request gets <c>{"ok":false,"error":…}</c> and the connection goes on; the daemon
/// never stops serving VMs because of what arrives here.
/// </summary>
internal sealed partial class ControlServer : IAsyncDisposable
{
    /// <summary>A request line longer than this (bytes) is refused and the connection closed: requests are small.</summary>
    public const int MaxLine = 64 * 1024;

    private readonly Socket _listener;
    private readonly Func<JsonElement, ValueTask<string>> _handle;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    private ControlServer(Socket listener, string path, Func<JsonElement, ValueTask<string>> handle, ILogger logger)
    {
        _listener = listener;
        Path = path;
        _handle = handle;
        _logger = logger;
    }

    /// <summary>
    /// Requests that take the connection over and stream lines until the client closes it (the
    /// trace): command name → handler, given the request, a line writer and a token cancelled
    /// when the client hangs up or sends anything more.
    /// </summary>
    public Dictionary<string, Func<JsonElement, Func<string, bool, ValueTask>, CancellationToken, Task>> Streams { get; } = new(StringComparer.Ordinal);

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>Listens on <paramref name="path"/> (a stale socket is replaced, a live one is an error) with mode 0600.</summary>
    /// <exception cref="SocketException">The path is in use or not allowed.</exception>
    public static ControlServer Listen(string path, Func<JsonElement, ValueTask<string>> handle, ILogger logger)
    {
        var listener = Vscmi.Transport.UnixSocketPath.Listen(path, 8);
        try
        {
            // Only the owner: the control socket reconfigures the platform every VM depends on.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new ControlServer(listener, path, handle, logger);
    }

    /// <summary>Starts accepting connections.</summary>
    public void Start() => _accepting = AcceptAsync(_stopping.Token);

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(connection, cancellationToken);
        }
    }

#pragma warning disable CA1031 // One client's trouble ends that connection, never the daemon.
    private async Task ServeAsync(Socket connection, CancellationToken cancellationToken)
    {
        using var _ = connection;
        try
        {
            await using var stream = new NetworkStream(connection, ownsSocket: false);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { NewLine = "\n", AutoFlush = true };
            var lines = new LineReader(stream);
            while (await lines.ReadAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > MaxLine)
                {
                    // No newline within the limit: say so and end this connection only.
                    await writer.WriteLineAsync(Error($"a request line longer than {MaxLine} bytes; closing").AsMemory(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (line.Length == 0)
                    continue;
                string response;
                try
                {
                    using var request = JsonDocument.Parse(line);
                    if (request.RootElement.ValueKind == JsonValueKind.Object && request.RootElement.TryGetProperty("command", out var name)
                        && name.ValueKind == JsonValueKind.String && Streams.TryGetValue(name.GetString()!, out var streamer))
                    {
                        await StreamAsync(streamer, request.RootElement, stream, lines, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    response = request.RootElement.ValueKind == JsonValueKind.Object
                        ? await _handle(request.RootElement).ConfigureAwait(false)
                        : Error("a request is a JSON object, e.g. {\"command\":\"status\"}");
                }
                catch (JsonException e)
                {
                    response = Error($"not JSON: {e.Message}");
                }

                await writer.WriteLineAsync(response.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            LogConnectionFailed(_logger, e.Message);
        }
    }
#pragma warning restore CA1031

    // The connection belongs to the stream from here: it ends when the client closes its side (or
    // sends anything), when the daemon stops, or when a write fails (a client that went away).
    private static async Task StreamAsync(Func<JsonElement, Func<string, bool, ValueTask>, CancellationToken, Task> streamer, JsonElement request, Stream stream, LineReader lines,
        CancellationToken cancellationToken)
    {
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchAsync();
        var output = new BufferedStream(stream, 64 * 1024);
        await using (output.ConfigureAwait(false))
        {
            async ValueTask WriteLine(string text, bool flush)
            {
                if (text.Length > 0) // an empty line only flushes
                    await output.WriteAsync(Encoding.UTF8.GetBytes(text + "\n"), hangUp.Token).ConfigureAwait(false);
                if (flush)
                    await output.FlushAsync(hangUp.Token).ConfigureAwait(false);
            }

            try
            {
                await streamer(request, WriteLine, hangUp.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }

        await hangUp.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);

        async Task WatchAsync()
        {
            try
            {
                await lines.ReadAsync(hangUp.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }

            await hangUp.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Lines of at most <see cref="MaxLine"/> bytes: a longer one comes back as a string just over
    /// the limit (its rest is not read), so a client cannot grow the daemon with one endless line.
    /// </summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[MaxLine + 1];
        private int _start;
        private int _end;

        public async Task<string?> ReadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start);
                    _start = newline + 1;
                    return line;
                }

                if (_end - _start > MaxLine)
                    return new string('x', MaxLine + 1);
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    (_end, _start) = (_end - _start, 0);
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    return _end > _start ? Encoding.UTF8.GetString(_buffer, _start, _end - _start) : null;
                _end += read;
            }
        }
    }

    /// <summary>A failure response: <c>{"ok":false,"error":"…"}</c>.</summary>
    public static string Error(string message) => Json(w =>
    {
        w.WriteBoolean("ok", false);
        w.WriteString("error", message);
    });

    /// <summary>One JSON object written by <paramref name="body"/>, as a line.</summary>
    public static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the lines are read by people and scripts, not embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _stopping.Dispose();
        File.Delete(Path);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "control socket: a connection ended: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);
}
