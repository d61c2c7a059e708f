using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vscmi.Platform.Host;

/// <summary>
/// Reads and writes the host's sysfs and debugfs attributes. A failure is an SCMI status, never
/// an exception: a file that is gone or fails with EIO is HARDWARE_ERROR, one the daemon may not
/// touch (EACCES, EPERM) is DENIED. Each failing path is logged once as a warning with the path and
/// the reason, and once more when it works again, so a vanished device cannot flood the journal.
/// </summary>
public sealed partial class HostFiles(ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly ConcurrentDictionary<string, byte> _failing = new(StringComparer.Ordinal);

    /// <summary>Files that read 4 KiB or more are not attributes: sysfs shows at most one page.</summary>
    private const int MaxAttribute = 4096;

    /// <summary>Reads an attribute's text, trimmed; the status says why it could not be read.</summary>
    public ScmiStatus TryReadText(string path, out string text)
    {
        text = "";
        try
        {
            // A stream without a buffer: plain read(2) calls, for attributes that cannot seek too.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            Span<byte> buffer = stackalloc byte[MaxAttribute];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = file.Read(buffer[total..])) > 0)
                total += read;
            text = Encoding.UTF8.GetString(buffer[..total]).Trim();
            Recovered(path);
            return ScmiStatus.SUCCESS;
        }
        catch (Exception e) when (IsHostError(e))
        {
            return Failed(path, "read", e);
        }
    }

    /// <summary>Reads an attribute holding one integer (the first word, as sysfs prints it).</summary>
    public ScmiStatus TryReadInteger(string path, out long value)
    {
        value = 0;
        var status = TryReadText(path, out var text);
        if (status != ScmiStatus.SUCCESS)
            return status;
        var first = FirstWord(text);
        if (long.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            return ScmiStatus.SUCCESS;
        return Failed(path, "read", new InvalidDataException($"'{Truncate(first)}' is not an integer"));
    }

    /// <summary>Reads an attribute holding one number (IIO scales are decimals such as 0.000598).</summary>
    public ScmiStatus TryReadNumber(string path, out double value)
    {
        value = 0;
        var status = TryReadText(path, out var text);
        if (status != ScmiStatus.SUCCESS)
            return status;
        var first = FirstWord(text);
        if (double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
            return ScmiStatus.SUCCESS;
        return Failed(path, "read", new InvalidDataException($"'{Truncate(first)}' is not a number"));
    }

    /// <summary>Writes an attribute (one write at offset 0, as sysfs expects).</summary>
    public ScmiStatus Write(string path, string value)
    {
        try
        {
            // O_TRUNC as a shell's '>' does: sysfs ignores it, a test's plain file needs it.
            using var file = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            file.Write(Encoding.ASCII.GetBytes(value)); // one write(2): sysfs takes an attribute in one
            Recovered(path);
            LogWrote(_logger, path, value);
            return ScmiStatus.SUCCESS;
        }
        catch (Exception e) when (IsHostError(e))
        {
            return Failed(path, "write", e);
        }
    }

    /// <summary>A device the model names that the host does not have (now): HARDWARE_ERROR, logged once.</summary>
    public ScmiStatus Missing(string what)
    {
        if (_failing.TryAdd(what, 0))
            LogMissing(_logger, what);
        return ScmiStatus.HARDWARE_ERROR;
    }

    /// <summary>Whether an attribute exists (a backend's optional files).</summary>
    public static bool Exists(string path) => File.Exists(path);

    private static string FirstWord(string text)
    {
        var end = text.AsSpan().IndexOfAny(' ', '\n', '\t');
        return end < 0 ? text : text[..end];
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "...";

    private static bool IsHostError(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException;

    /// <summary>The status a host failure gives agents: DENIED where the daemon may not (EACCES, EPERM), HARDWARE_ERROR otherwise.</summary>
    public static ScmiStatus StatusOf(Exception e) => e is UnauthorizedAccessException ? ScmiStatus.DENIED : ScmiStatus.HARDWARE_ERROR;

    private ScmiStatus Failed(string path, string operation, Exception e)
    {
        var status = StatusOf(e);
        if (_failing.TryAdd(path, 0))
            LogFailed(_logger, operation, path, e.Message, status.ToString());
        return status;
    }

    private void Recovered(string path)
    {
        if (!_failing.IsEmpty && _failing.TryRemove(path, out _))
            LogRecovered(_logger, path);
    }

    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "host: cannot {Operation} {Path}: {Reason} (agents get {Status} until it works again)")]
    private static partial void LogFailed(ILogger logger, string operation, string path, string reason, string status);

    [LoggerMessage(EventId = 153, Level = LogLevel.Warning, Message = "host: no {What} (agents get HARDWARE_ERROR until it appears)")]
    private static partial void LogMissing(ILogger logger, string what);

    [LoggerMessage(EventId = 151, Level = LogLevel.Information, Message = "host: {Path} works again")]
    private static partial void LogRecovered(ILogger logger, string path);

    [LoggerMessage(EventId = 152, Level = LogLevel.Debug, Message = "host: wrote '{Value}' to {Path}")]
    private static partial void LogWrote(ILogger logger, string path, string value);
}
