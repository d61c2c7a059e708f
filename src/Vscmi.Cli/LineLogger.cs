using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Vscmi.Cli;

/// <summary>
/// The daemon's log: one line per entry on standard output, <c>HH:mm:ss.fff info: category[id] message</c>
/// (the layout of Microsoft.Extensions.Logging.Console's single-line simple formatter, which
/// operators' scripts and the tests read), written by a thread of its own so that no caller waits
/// on a terminal or on journald.
/// </summary>
/// <remarks>
/// Ours rather than the console provider: its options, formatters and the dependency-injection
/// container behind <c>LoggerFactory.Create</c> took about 17 ms of a 23 ms start to READY=1 in
/// the native binary (measured with a startup trace), and the unit's target is 30 ms from exec.
/// A full queue drops lines and says how many, rather than block a VM's thread.
/// </remarks>
internal sealed class LineLoggerProvider : ILoggerProvider
{
    /// <summary>Lines waiting for the writer thread at most; beyond, lines are dropped and counted.</summary>
    public const int QueueCapacity = 4096;

    private readonly BlockingCollection<(DateTime At, string Text)> _lines = new(QueueCapacity);
    private readonly Thread _writer;
    private readonly TextWriter _output;
    private long _dropped;

    /// <summary>Starts the writer thread on <paramref name="output"/> (standard output when null).</summary>
    public LineLoggerProvider(TextWriter? output = null)
    {
        _output = output ?? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        _writer = new Thread(Write) { IsBackground = true, Name = "vscmi-log" };
        _writer.Start();
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    // The time is taken in UTC by the caller and shown in local time by the writer: the first
    // conversion reads the time zone database (a few milliseconds), which must not delay READY=1.
    internal void Enqueue(string text)
    {
        try
        {
            if (!_lines.TryAdd((DateTime.UtcNow, text)))
                Interlocked.Increment(ref _dropped);
        }
        catch (InvalidOperationException)
        {
            // After Dispose (a thread still logging while the daemon stops): the log is closed.
        }
    }

    private void Write()
    {
        foreach (var (at, text) in _lines.GetConsumingEnumerable())
        {
            var time = at.ToLocalTime().ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture);
            _output.Write(time);
            _output.WriteLine(text);
            if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
                _output.WriteLine($"{time}warn: vscmi.log[0] {dropped} log line(s) dropped: the output did not keep up");
            if (_lines.Count == 0)
                _output.Flush();
        }

        _output.Flush();
    }

    /// <summary>Writes what is queued, then stops the writer (at most 2 s).</summary>
    /// <remarks>The queue itself is not disposed: a thread may still log on its way down, and is ignored.</remarks>
    public void Dispose()
    {
        _lines.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(2));
    }

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var line = new StringBuilder(128)
                .Append(logLevel switch
                {
                    LogLevel.Trace => "trce",
                    LogLevel.Debug => "dbug",
                    LogLevel.Information => "info",
                    LogLevel.Warning => "warn",
                    LogLevel.Error => "fail",
                    _ => "crit",
                })
                .Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
                .Append(formatter(state, exception));
            if (exception is not null)
                line.Append(' ').Append(exception);
            // One entry, one line: journald and the tests read lines.
            provider.Enqueue(line.Replace('\n', ' ').Replace("\r", "", 0, line.Length).ToString());
        }
    }
}
