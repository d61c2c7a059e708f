using System.Diagnostics;
using System.Globalization;

namespace Vscmi.Soak;

/// <summary>What the daemon holds at one moment, from /proc.</summary>
/// <param name="RssKiB">Resident memory (VmRSS).</param>
/// <param name="OwnKiB">
/// The resident memory the daemon owns: anonymous (heap, stacks, native allocations) and shared
/// memory (RssAnon + RssShmem). The rest of VmRSS, RssFile, is the executable's and libraries'
/// pages read in as code first runs: bounded by their size (the native binary is 18 MB), it grew
/// by megabytes over minutes as hostile paths reached new code, and cannot leak.
/// </param>
/// <param name="Fds">Open file descriptors.</param>
/// <param name="Threads">Threads.</param>
/// <param name="ThreadNames">How many threads have each name (/proc/PID/task/TID/comm, 15 characters at most).</param>
internal sealed record ResourceSample(long RssKiB, long OwnKiB, int Fds, int Threads, IReadOnlyDictionary<string, int> ThreadNames)
{
    /// <summary>The .NET thread pool's workers: the runtime adds and retires them with the load on its own.</summary>
    public const string PoolWorker = ".NET TP Worker";

    /// <summary>Threads that are not the thread pool's workers (what a per-connection leak would add to).</summary>
    public int OwnThreads => Threads - ThreadNames.GetValueOrDefault(PoolWorker);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RSS {RssKiB / 1024.0:0.0} MiB ({OwnKiB / 1024.0:0.0} MiB its own, {(RssKiB - OwnKiB) / 1024.0:0.0} MiB of files), {Fds} fds, {Threads} threads ({ThreadNames.GetValueOrDefault(PoolWorker)} thread-pool workers)");

    /// <summary>The thread names whose count changed from <paramref name="from"/> to this sample, "name a → b" each.</summary>
    public string ThreadChanges(ResourceSample from)
    {
        var changed = from.ThreadNames.Keys.Union(ThreadNames.Keys).Order(StringComparer.Ordinal)
            .Where(n => from.ThreadNames.GetValueOrDefault(n) != ThreadNames.GetValueOrDefault(n))
            .Select(n => $"'{n}' {from.ThreadNames.GetValueOrDefault(n)} → {ThreadNames.GetValueOrDefault(n)}");
        return string.Join(", ", changed) is { Length: > 0 } text ? text : "no name changed";
    }
}

/// <summary>
/// The daemon under test: <c>vscmi serve</c> on the soak model with a state file, its output kept
/// in a log; killed with SIGKILL and started again (the restart the state file must survive).
/// </summary>
internal sealed class Daemon : IDisposable
{
    private readonly string _vscmi;
    private readonly string _model;
    private readonly string _directory;
    private Process? _process;
    private int _starts;

    public Daemon(string vscmi, string model, string directory)
    {
        _vscmi = vscmi;
        _model = model;
        _directory = directory;
    }

    /// <summary>The state file.</summary>
    public string StatePath => Path.Combine(_directory, "state.json");

    /// <summary>The control socket.</summary>
    public string ControlPath => Path.Combine(_directory, "control.sock");

    /// <summary>The running process's id.</summary>
    public int Pid => _process?.Id ?? 0;

    /// <summary>Whether the process exited on its own (a crash), as opposed to being killed by the soak.</summary>
    public bool Crashed { get; private set; }

    /// <summary>How it ended, when it crashed.</summary>
    public string? CrashReport { get; private set; }

    /// <summary>Starts the daemon and waits until its control socket answers (30 s at most).</summary>
    public async Task StartAsync()
    {
        var log = Path.Combine(_directory, $"serve-{++_starts}.log");
        var info = new ProcessStartInfo(_vscmi)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[] { "serve", "--config", _model, "--state", StatePath, "--control", ControlPath })
            info.ArgumentList.Add(arg);
        File.Delete(ControlPath);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{_vscmi} did not start");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (writer) writer.WriteLine(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (writer) writer.WriteLine(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            if (ReferenceEquals(_process, process) && !_killing)
            {
                Crashed = true;
                CrashReport = $"vscmi serve (pid {process.Id}) exited with {process.ExitCode}; its log: {log}";
            }
        };
        _process = process;
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(ControlPath))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"vscmi serve did not start (exit {(process.HasExited ? process.ExitCode : "none")}); see {log}");
            await Task.Delay(50);
        }
    }

    private volatile bool _killing;

    /// <summary>SIGKILL: no chance to save anything the state file does not already hold.</summary>
    public void Kill()
    {
        if (_process is not { } process)
            return;
        _killing = true;
        process.Kill();
        process.WaitForExit();
        _killing = false;
    }

    /// <summary>RSS, fds and threads from /proc/PID.</summary>
    public ResourceSample Sample()
    {
        var pid = Pid;
        long rss = 0;
        long own = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal) || line.StartsWith("RssShmem:", StringComparison.Ordinal))
                own += long.Parse(line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                threads = int.Parse(line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                names[name] = names.GetValueOrDefault(name) + 1;
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return new ResourceSample(rss, own, Directory.GetFiles($"/proc/{pid}/fd").Length, threads, names);
    }

    /// <summary>Lines of every log this daemon wrote that contain <paramref name="text"/>.</summary>
    public int LogLines(string text) => Directory.GetFiles(_directory, "serve-*.log")
        .Sum(f => File.ReadLines(f).Count(l => l.Contains(text, StringComparison.Ordinal)));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_process is { HasExited: false } process)
        {
            _killing = true;
            process.Kill();
            process.WaitForExit();
        }

        _process?.Dispose();
    }
}
