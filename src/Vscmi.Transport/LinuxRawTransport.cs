using System.Threading.Channels;

namespace Vscmi.Transport;

/// <summary>
/// An agent channel through Linux's SCMI raw mode (CONFIG_ARM_SCMI_RAW_MODE_SUPPORT; debugfs
/// <c>scmi/N/raw/</c>, Documentation/ABI/testing/debugfs-scmi-raw): each command is one write of
/// header and payload to <c>message</c>, and the next read of <c>message</c> returns its reply
/// (header, status, payload); notifications are read from <c>notification</c>. The kernel routes
/// them over whatever transport it has to the real platform, so every vscmi client command works
/// on a board against its own firmware. With RAW_MODE_SUPPORT_COEX the kernel's drivers keep
/// running beside it; the kernel waits for a free token when one we picked is in use.
/// </summary>
public sealed class LinuxRawTransport : IScmiTransport
{
    private readonly string _directory;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Thread? _notifications;

    /// <summary>The raw directory of SCMI instance 0, where a single SCMI platform appears.</summary>
    public const string DefaultDirectory = "/sys/kernel/debug/scmi/0/raw";

    private LinuxRawTransport(string directory, bool notifications)
    {
        _directory = directory;
        // Replies of the virtio transport carry at most 128 payload bytes (Linux's VIRTIO_SCMI_MAX_MSG_SIZE).
        Capabilities = new TransportCapabilities(MaxPayload: 128, MaxInFlight: 1, HasP2A: notifications)
        {
            // The kernel itself times out after its transport's max_rx_timeout_ms (30 s for virtio... 60 s at most).
            ReplyTimeout = TimeSpan.FromSeconds(65),
        };
        if (notifications)
        {
            _notifications = new Thread(ReadNotifications) { IsBackground = true, Name = "scmi raw notifications" };
            _notifications.Start();
        }
    }

    /// <inheritdoc/>
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc/>
    public string Description => $"linux-raw:{_directory}";

    /// <summary>
    /// Opens the raw interface: <paramref name="target"/> is an instance number ("0"), a raw
    /// directory, or empty for instance 0. Fails with a reason when the kernel does not have it.
    /// </summary>
    public static LinuxRawTransport Open(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var directory = target.Length == 0 ? DefaultDirectory
            : target.All(char.IsAsciiDigit) ? $"/sys/kernel/debug/scmi/{target}/raw"
            : target;
        if (!File.Exists(Path.Combine(directory, "message")))
        {
            var why = target.Contains('/', StringComparison.Ordinal)
                ? $"{directory}/message does not exist: not a raw directory (scmi/N/raw under debugfs)"
                : !Directory.Exists("/sys/kernel/debug/scmi")
                ? "/sys/kernel/debug/scmi does not exist: is debugfs mounted (mount -t debugfs none /sys/kernel/debug) and the SCMI core running?"
                : $"{directory}/message does not exist: the kernel needs CONFIG_ARM_SCMI_RAW_MODE_SUPPORT (and _COEX to keep its drivers), and the instance number must exist";
            throw new ScmiTransportException($"linux-raw: {why}");
        }

        return new LinuxRawTransport(directory, File.Exists(Path.Combine(directory, "notification")));
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        byte[] message;
        try
        {
            message = await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return 0;
        }

        if (message.Length > buffer.Length)
            throw new OversizedMessageException(BitConverter.ToUInt32(message, 0), message.Length, buffer.Length);
        message.CopyTo(buffer);
        return message.Length;
    }

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length < 4)
            throw new ArgumentException("an SCMI message has at least its 4-byte header", nameof(message));
        var copy = message.ToArray();
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The write and the blocking read of its reply run off the caller's thread: debugfs
            // has no asynchronous I/O, and the read waits for the platform.
            var reply = await Task.Run(() => Exchange(copy), CancellationToken.None).ConfigureAwait(false);
            if (reply is not null)
                await _incoming.Writer.WriteAsync(reply, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>One command: a single write, then a single read of its reply (null when the kernel timed it out).</summary>
    private byte[]? Exchange(byte[] command)
    {
        var path = Path.Combine(_directory, "message");
        try
        {
            // Not seekable (no_llseek): a stream without a buffer, so each call is one write(2) or read(2).
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
            file.Write(command);
            var buffer = new byte[Capabilities.MaxMessageSize + 64];
            var length = file.Read(buffer);
            return length >= 4 ? buffer[..length] : null;
        }
        catch (IOException e) when (e.HResult == 110 || e.Message.Contains("timed out", StringComparison.OrdinalIgnoreCase))
        {
            return null; // ETIMEDOUT: the platform did not answer in time; the client's own timeout reports it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScmiTransportException($"linux-raw: {path}: {e.Message}", e);
        }
    }

    /// <summary>Blocking reads of <c>notification</c>, one message each, until disposal.</summary>
    private void ReadNotifications()
    {
        var path = Path.Combine(_directory, "notification");
        var buffer = new byte[Capabilities.MaxMessageSize + 64];
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
                while (!_closing.IsCancellationRequested)
                {
                    var length = file.Read(buffer);
                    if (length >= 4)
                        _incoming.Writer.TryWrite(buffer[..length]);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read that timed out or was interrupted: open again after a pause.
                Thread.Sleep(100);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _incoming.Writer.TryComplete();
        // The notification thread may be in a blocking read; it is a background thread and ends with the process.
        _closing.Dispose();
        _oneAtATime.Dispose();
        return ValueTask.CompletedTask;
    }
}
