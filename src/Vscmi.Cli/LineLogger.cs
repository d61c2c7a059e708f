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

    /// <summary>
    /// Lines of one event about one subject (an agent, a socket, a device) written per
    /// <see cref="Window"/>; the rest are counted and summed up in one line when the window ends.
    /// A guest that reconnects 3,000 times, or floods malformed requests, cannot flood the journal.
    /// Errors (vscmi's own bugs) are never held back.
    /// </summary>
    public const int LinesPerWindow = 20;

    /// <summary>The window of <see cref="LinesPerWindow"/>.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Dictionary<(string Category, int Event, string Subject), Budget> _budgets = [];

    private sealed class Budget(long windowStart, string level)
    {
        public long WindowStart = windowStart;
        public int Used;
        public long Suppressed;
        public readonly string Level = level;
    }

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

    /// <summary>
    /// Whether a line of <paramref name="eventId"/> about <paramref name="subject"/> may be written
    /// now: false once <see cref="LinesPerWindow"/> were written in this window (it is counted).
    /// </summary>
    internal bool TakeBudget(string category, int eventId, string subject, string level)
    {
        var now = Environment.TickCount64;
        lock (_budgets)
        {
            if (!_budgets.TryGetValue((category, eventId, subject), out var budget))
            {
                // Bounded: subjects are agents, sockets and devices; expired budgets are swept below.
                _budgets[(category, eventId, subject)] = budget = new Budget(now, level);
            }
            else if (now - budget.WindowStart >= (long)Window.TotalMilliseconds)
            {
                Summarize((category, eventId, subject), budget);
                budget.WindowStart = now;
                budget.Used = 0;
            }

            if (budget.Used < LinesPerWindow)
            {
                budget.Used++;
                return true;
            }

            budget.Suppressed++;
            return false;
        }
    }

    // Caller holds _budgets.
    private void Summarize((string Category, int Event, string Subject) key, Budget budget)
    {
        if (budget.Suppressed == 0)
            return;
        Enqueue($"{budget.Level}: {key.Category}[{key.Event}] {budget.Suppressed} more line(s) about {key.Subject} not written in the last {Window.TotalSeconds:0} s (at most {LinesPerWindow} per {Window.TotalSeconds:0} s)");
        budget.Suppressed = 0;
    }

    // The writer's periodic look: windows that ended with lines held back get their summary even
    // when no further line comes; budgets idle for a window are forgotten.
    private void SweepBudgets()
    {
        var now = Environment.TickCount64;
        lock (_budgets)
        {
            List<(string, int, string)>? idle = null;
            foreach (var (key, budget) in _budgets)
            {
                if (now - budget.WindowStart < (long)Window.TotalMilliseconds)
                    continue;
                if (budget.Suppressed > 0)
                {
                    Summarize(key, budget);
                    budget.WindowStart = now;
                    budget.Used = 0;
                }
                else
                {
                    (idle ??= []).Add(key);
                }
            }

            foreach (var key in idle ?? [])
                _budgets.Remove(key);
        }
    }

    private void Write()
    {
        var lastSweep = Environment.TickCount64;
        while (!_lines.IsCompleted)
        {
            if (Environment.TickCount64 - lastSweep >= 1000)
            {
                SweepBudgets();
                lastSweep = Environment.TickCount64;
            }

            (DateTime At, string Text) item;
            try
            {
                if (!_lines.TryTake(out item, 1000))
                    continue;
            }
            catch (InvalidOperationException)
            {
                break; // completed meanwhile
            }

            var time = item.At.ToLocalTime().ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture);
            _output.Write(time);
            _output.WriteLine(item.Text);
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
            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            if (logLevel < LogLevel.Error && SubjectOf(state) is { } subject && !provider.TakeBudget(category, eventId.Id, subject, level))
                return;
            var line = new StringBuilder(128)
                .Append(level)
                .Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
                .Append(formatter(state, exception));
            if (exception is not null)
                line.Append(' ').Append(exception);
            // One entry, one line: journald and the tests read lines.
            provider.Enqueue(line.Replace('\n', ' ').Replace("\r", "", 0, line.Length).ToString());
        }

        // Whom a line is about, from the message's structured values: the agent, else the
        // connection (a stream connection's number dropped: each reconnect is a new number), else the device.
        private static string? SubjectOf<TState>(TState state)
        {
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values)
                return null;
            string? connection = null, device = null;
            foreach (var (key, value) in values)
            {
                switch (key)
                {
                    case "Agent" when value is not null:
                        return "agent " + value;
                    case "Connection":
                        connection = value?.ToString();
                        break;
                    case "Device":
                        device = value?.ToString();
                        break;
                }
            }

            if (connection is not null)
                return connection.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? connection[..hash] : connection;
            return device;
        }
    }
}
