using Microsoft.Extensions.Logging;

namespace Vscmi.Platform.State;

/// <summary>
/// Keeps a platform's resource state in a file across restarts (<c>vscmi serve --state PATH</c>).
/// On start the file is restored when it is whole and for this model; otherwise it is set aside
/// (<c>PATH.refused-TIME</c>), the reason logged, and the model's defaults used. While running, the
/// state is compared every <see cref="Period"/> on a timer and written when it changed: write to
/// <c>PATH.tmp</c>, fsync, rename over PATH, so a crash leaves the old file or the new one, never
/// half of one. Commands never wait for the disk.
/// </summary>
public sealed partial class StateKeeper : IDisposable
{
    /// <summary>How often the state is compared with what was last written.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    private readonly ScmiPlatform _platform;
    private readonly ILogger _logger;
    private readonly Lock _writing = new();
    private byte[] _written = [];
    private ITimer? _timer;

    /// <summary>Keeps <paramref name="platform"/>'s state in <paramref name="path"/>.</summary>
    public StateKeeper(ScmiPlatform platform, string path, ILogger logger)
    {
        _platform = platform ?? throw new ArgumentNullException(nameof(platform));
        Path = System.IO.Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The state file.</summary>
    public string Path { get; }

    /// <summary>
    /// Writes the daemon's own part of the file (agents and VM sockets added at run time, which a
    /// restart must bring back before the state fits); null: none. Read back with <see cref="ReadDaemonPart"/>.
    /// </summary>
    public Action<System.Text.Json.Utf8JsonWriter>? DaemonPart { get; set; }

    /// <summary>
    /// The daemon's part of the state file at <paramref name="path"/>, before any platform exists;
    /// null when there is no file or it is not whole (<see cref="Restore"/> then refuses it).
    /// </summary>
    public static System.Text.Json.JsonElement? ReadDaemonPart(string path)
    {
        try
        {
            return File.Exists(path) ? StateFile.ReadDaemonPart(File.ReadAllBytes(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Called with the state file's directory after each rename, to make the rename durable
    /// (serve passes <c>Vscmi.Linux.DirectorySync.Flush</c>; this project makes no native calls).
    /// A failure is logged like a failed write; the file itself is whole either way.
    /// </summary>
    public Action<string>? SyncDirectory { get; set; }

    /// <summary>State writes since start.</summary>
    public long Writes { get; private set; }

    /// <summary>
    /// Restores the file if there is one: true when it was applied; false when there was none or
    /// it was refused (then it is moved aside and the reason logged).
    /// </summary>
    public bool Restore()
    {
        if (!File.Exists(Path))
        {
            LogNoState(_logger, Path);
            return false;
        }

        var bytes = File.ReadAllBytes(Path);
        if (_platform.RestoreState(bytes) is { } refusal)
        {
            var aside = $"{Path}.refused-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            File.Move(Path, aside, overwrite: true);
            LogRefused(_logger, Path, refusal, aside);
            return false;
        }

        _written = bytes;
        LogRestored(_logger, Path, bytes.Length);
        return true;
    }

    /// <summary>Starts writing changes.</summary>
    public void Start() => _timer = TimeProvider.System.CreateTimer(_ => Guarded(), null, Period, Period);

    /// <summary>Writes the state now if it changed since the last write; returns whether it wrote.</summary>
    public bool SaveNow()
    {
        var bytes = _platform.SaveState(DaemonPart);
        lock (_writing)
        {
            if (bytes.AsSpan().SequenceEqual(_written))
                return false;
            var temporary = Path + ".tmp";
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
            SyncDirectory?.Invoke(System.IO.Path.GetDirectoryName(Path)!);
            _written = bytes;
            Writes++;
            Telemetry.PlatformMetrics.StateWrites.Add(1, new KeyValuePair<string, object?>(Telemetry.PlatformMetrics.OutcomeTag, "written"));
            return true;
        }
    }

#pragma warning disable CA1031 // A timer's callback must not throw (the process would end): a full disk is logged, serving goes on.
    private void Guarded()
    {
        try
        {
            SaveNow();
        }
        catch (Exception e)
        {
            Telemetry.PlatformMetrics.StateWrites.Add(1, new KeyValuePair<string, object?>(Telemetry.PlatformMetrics.OutcomeTag, "failed"));
            LogWriteFailed(_logger, e, Path);
        }
    }
#pragma warning restore CA1031

    /// <summary>Stops the timer and writes a last time.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
        Guarded();
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "state: restored from {Path} ({Bytes} bytes)")]
    private static partial void LogRestored(ILogger logger, string path, int bytes);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "state: no state file at {Path} yet; starting from the model's defaults")]
    private static partial void LogNoState(ILogger logger, string path);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "state: {Path} refused ({Reason}); moved aside to {Aside}, starting from the model's defaults")]
    private static partial void LogRefused(ILogger logger, string path, string reason, string aside);

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "state: cannot write {Path}; the state in memory is kept and written again at the next change")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string path);
}
