using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Vscmi.Platform.Hosting;
using Vscmi.Agent;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;
using Vscmi.Transport;

namespace Vscmi.Cli;

/// <summary>
/// <c>vscmi bench</c>: a load generator over any transport the agent library has. N workers keep
/// N commands in flight for the duration; every latency is kept (8 bytes each) for exact
/// percentiles.
/// </summary>
internal static class BenchCommand
{

    public static Command Create()
    {
        var connect = new Option<string>("--connect", "-c")
        {
            Description = Connector.Help + " Also 'inproc': a platform in this process on the default model (or --config), through the in-process transport, with no command rate limits.",
            DefaultValueFactory = _ => "unix:vscmi.sock",
        };
        var name = new Option<string>("--command")
        {
            Description = "The SCMI command to send, by its spec name, as NAME or PROTOCOL:NAME for the commands every protocol has (its parameters are all zero: id 0, no flags). E.g. BASE:PROTOCOL_VERSION, CLOCK_RATE_GET, SENSOR_READING_GET, PERF_LEVEL_GET.",
            DefaultValueFactory = _ => "BASE:PROTOCOL_VERSION",
        };
        var inflight = new Option<int>("--inflight", "-n") { Description = "Commands kept in flight at once (concurrent workers).", DefaultValueFactory = _ => 1 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to run (after a short warm-up).", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var config = new Option<string?>("--config") { Description = "Device model for --connect inproc." };
        var daemonPid = new Option<int?>("--daemon-pid") { Description = "The daemon's process id: its CPU time per message is reported beside the rate (read from /proc before and after the run)." };
        var control = new Option<string?>("--control") { Description = "The daemon's control socket: another way to find its process id (the status request's pid)." };
        var vms = new Option<int>("--vms") { Description = "Many VMs instead of one connection: add this many VMs through --control (agents bench-vm1...), drive each with vscmi's vhost-user frontend at --rate, report latency, the daemon's CPU and its memory per VM; they are removed at the end." };
        var rate = new Option<double>("--rate") { Description = "With --vms: commands per second per VM (SENSOR_READING_GET, one in flight).", DefaultValueFactory = _ => 1000 };
        var fanout = new Option<double>("--fanout-hz") { Description = "With --vms: instead of commands, flood SENSOR_UPDATE to every VM at this rate and count what each receives." };
        var command = new Command("bench", "Measure messages/s and latency (p50/p99/p99.9) of one command over a transport, with a progress display; with --daemon-pid or --control, the daemon's CPU time per message too (with inproc, this process's). With --vms, many VMs on one daemon.")
        {
            connect, name, inflight, duration, json, config, daemonPid, control, vms, rate, fanout,
        };
        command.SetAction((parse, ct) => parse.GetValue(vms) > 0
            ? parse.GetValue(control) is { } path
                ? BenchVms.RunAsync(path, parse.GetValue(vms), parse.GetValue(rate), parse.GetValue(duration), parse.GetValue(fanout), parse.GetValue(json), ct)
                : Task.FromResult(Fail("--vms needs --control (the VMs are added through the daemon's control socket)", 2))
            : RunAsync(parse.GetValue(connect)!, parse.GetValue(name)!, parse.GetValue(inflight), parse.GetValue(duration), parse.GetValue(json), parse.GetValue(config),
                parse.GetValue(daemonPid), parse.GetValue(control), ct));
        return command;
    }

    private static async Task<int> RunAsync(string endpoint, string commandName, int inflight, double seconds, bool json, string? configPath, int? daemonPid, string? controlPath, CancellationToken cancellationToken)
    {
        if (controlPath is not null && daemonPid is null)
        {
            try
            {
                using var status = System.Text.Json.JsonDocument.Parse(Vscmi.Cli.Control.CtlCommand.Request(controlPath, "{\"command\":\"status\"}"));
                daemonPid = status.RootElement.GetProperty("pid").GetInt32();
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or System.Text.Json.JsonException or KeyNotFoundException)
            {
                return Fail($"--control {controlPath}: cannot ask the daemon for its pid: {e.Message}", 1);
            }
        }

        // inproc: the platform runs in this process, so its CPU is this process's (the client's included).
        var cpuPid = daemonPid ?? (endpoint == "inproc" ? Environment.ProcessId : (int?)null);
        if (cpuPid is { } pid && Vscmi.Linux.ProcessCpu.TotalNanoseconds(pid) is null)
            return Fail($"process {pid}: its CPU time cannot be read from /proc (gone, or not yours?)", 1);
        if (inflight is < 1 or > 1024)
            return Fail($"--inflight {inflight} is outside 1..1024", 2);
        if (seconds is <= 0 or > 3600)
            return Fail($"--duration {seconds} is outside (0, 3600] seconds", 2);
        var colon = commandName.IndexOf(':', StringComparison.Ordinal);
        var protocols = colon < 0 ? ScmiCatalog.Protocols : ScmiCatalog.Find(commandName[..colon]) is { } one ? [one] : [];
        var messageName = colon < 0 ? commandName : commandName[(colon + 1)..];
        var matches = protocols.SelectMany(p => p.Messages).Where(m => string.Equals(m.Name, messageName, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count == 0)
            return Fail($"no SCMI command named '{commandName}' (names as in the spec, e.g. CLOCK_RATE_GET, or BASE:PROTOCOL_VERSION)", 2);
        if (matches.Count > 1)
            return Fail($"'{commandName}' is in every protocol; say which: {string.Join(", ", matches.Take(3).Select(m => $"{m.Protocol}:{m.Name}"))}...", 2);
        var spec = matches[0];
        FieldSet parameters;
        try
        {
            parameters = LayoutCodec.Decode(spec.Request, new byte[spec.Request.MinSize], DecodeOptions.Relaxed);
        }
        catch (ScmiProtocolException)
        {
            return Fail($"{spec.Name} has no all-zero parameters to send", 2);
        }

        PlatformServerPair? inproc = null;
        ScmiClient client;
        try
        {
            if (endpoint == "inproc")
            {
                // No command rate limit in process: it guards a daemon against its guests, and here it would be the figure measured.
                inproc = PlatformServerPair.Start(ModelLoader.WithoutCommandLimits(configPath is null ? ModelLoader.LoadDefault() : ModelLoader.LoadFile(configPath)));
                client = new ScmiClient(inproc.Agent);
            }
            else
            {
                client = await Connector.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ScmiClientException or FormatException or ModelException)
        {
            return Fail(e.Message, 1);
        }

        try
        {
            if (inflight > client.Capabilities.MaxInFlight)
                return Fail($"--inflight {inflight} exceeds what {endpoint} carries ({client.Capabilities.MaxInFlight} in flight)", 2);

            // Warm-up: JIT, pools, the first ring pages.
            var warm = await client.RequestAsync(spec.Protocol, spec.Id, parameters, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (warm.Status != 0)
                return Fail($"{spec.Name} answered {(ScmiStatus)warm.Status}; pick a command this agent may send", 1);
            await Run(client, spec, parameters, inflight, TimeSpan.FromSeconds(Math.Min(1, seconds / 5)), null, cancellationToken).ConfigureAwait(false);

            var cpuBefore = cpuPid is { } before ? Vscmi.Linux.ProcessCpu.TotalNanoseconds(before) : null;
            var result = await RunWithProgress(client, spec, parameters, inflight, TimeSpan.FromSeconds(seconds), json, cancellationToken).ConfigureAwait(false);
            var cpuAfter = cpuPid is { } after ? Vscmi.Linux.ProcessCpu.TotalNanoseconds(after) : null;
            var perMessage = cpuBefore is { } b && cpuAfter is { } a && result.Messages > 0 ? (a - b) / (double)result.Messages : (double?)null;
            Report(result with { Transport = endpoint, DaemonCpuNsPerMessage = perMessage }, json);
            if (result.Busy > 0)
                Console.Error.WriteLine($"note: {result.Busy:N0} replies were BUSY: the agent is over its command rate (commands_per_second, default {AgentModel.DefaultCommandsPerSecond:N0}/s, in its [[agent]] table; 0 lifts it for a benchmark)");
            return result.Errors == 0 ? 0 : 1;
        }
        catch (ScmiClientException e)
        {
            return Fail(e.Message, 1);
        }
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
            if (inproc is not null)
                await inproc.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed record Result(string Transport, string Command, int InFlight, double Seconds, long Messages, long Errors, long Busy, double MessagesPerSecond, double P50Us, double P99Us, double P999Us, double MaxUs)
    {
        /// <summary>The daemon's CPU time per message in ns (all its threads), when it could be seen.</summary>
        public double? DaemonCpuNsPerMessage { get; init; }
    }

    private sealed class Counters
    {
        public long Messages;
        public long Errors;
        public long Busy;
    }

    private static async Task<Result> RunWithProgress(ScmiClient client, MessageSpec spec, FieldSet parameters, int inflight, TimeSpan duration, bool json, CancellationToken cancellationToken)
    {
        var counters = new Counters();
        var running = Run(client, spec, parameters, inflight, duration, counters, cancellationToken);
        if (!json && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
            {
                var task = progress.AddTask($"{spec.Name} × {inflight}", maxValue: duration.TotalSeconds);
                var watch = Stopwatch.StartNew();
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(200, cancellationToken)).ConfigureAwait(false);
                    var rate = Interlocked.Read(ref counters.Messages) / Math.Max(0.001, watch.Elapsed.TotalSeconds);
                    task.Description = $"{spec.Name} × {inflight}: {rate:N0} msg/s";
                    task.Value = Math.Min(duration.TotalSeconds, watch.Elapsed.TotalSeconds);
                }
            }).ConfigureAwait(false);
        }
        else if (!json)
        {
            // Not a terminal: one progress line per second on stderr, so logs show it is alive.
            var watch = Stopwatch.StartNew();
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(1000, cancellationToken)).ConfigureAwait(false);
                if (!running.IsCompleted)
                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: {watch.Elapsed.TotalSeconds:0}/{duration.TotalSeconds:0} s, {Interlocked.Read(ref counters.Messages):N0} messages")).ConfigureAwait(false);
            }
        }

        return await running.ConfigureAwait(false);
    }

    private static async Task<Result> Run(ScmiClient client, MessageSpec spec, FieldSet parameters, int inflight, TimeSpan duration, Counters? counters, CancellationToken cancellationToken)
    {
        counters ??= new Counters();
        var latencies = new List<long>[inflight];
        var watch = Stopwatch.StartNew();
        var end = duration.Ticks;
        async Task Worker(int index)
        {
            var mine = latencies[index] = new List<long>(1 << 16);
            while (watch.Elapsed.Ticks < end && !cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                var response = await client.RequestAsync(spec.Protocol, spec.Id, parameters, cancellationToken: cancellationToken).ConfigureAwait(false);
                mine.Add(Stopwatch.GetTimestamp() - start);
                Interlocked.Increment(ref counters.Messages);
                if (response.Status != 0)
                    Interlocked.Increment(ref counters.Errors);
                if (response.Status == (int)ScmiStatus.BUSY)
                    Interlocked.Increment(ref counters.Busy);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, inflight).Select(Worker)).ConfigureAwait(false);
        var elapsed = watch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
        return new Result("", spec.Name, inflight, elapsed, all.Length, counters.Errors, counters.Busy, all.Length / elapsed, Percentile(0.50), Percentile(0.99), Percentile(0.999), all.Length == 0 ? 0 : all[^1] * 1e6 / Stopwatch.Frequency);
    }

    private static readonly Column[] ResultColumns =
    [
        new("transport", null), new("command", null), new("inflight", null), new("seconds", null),
        new("messages", "Messages", v => ((long)v!).ToString("N0", CultureInfo.InvariantCulture)),
        new("errors", "Errors"),
        new("messages_per_second", "Messages/s", v => ((double)v!).ToString("N0", CultureInfo.InvariantCulture)),
        new("p50_us", "p50", Micros), new("p99_us", "p99", Micros), new("p999_us", "p99.9", Micros), new("max_us", "max", Micros),
        new("daemon_cpu_ns_per_message", "Daemon CPU/msg", v => v is double ns ? string.Create(CultureInfo.InvariantCulture, $"{ns:0} ns") : "-"),
    ];

    private static void Report(Result result, bool json) => Output.Record(json, $"{result.Command} over {result.Transport}, {result.InFlight} in flight", ResultColumns,
    [
        result.Transport, result.Command, result.InFlight, Math.Round(result.Seconds, 3), result.Messages, result.Errors,
        Math.Round(result.MessagesPerSecond, 1), Math.Round(result.P50Us, 2), Math.Round(result.P99Us, 2), Math.Round(result.P999Us, 2), Math.Round(result.MaxUs, 2),
        result.DaemonCpuNsPerMessage is { } ns ? Math.Round(ns, 1) : null,
    ]);

    private static string Micros(object? value) => value is not double us ? Output.Text(value) : us >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{us / 1000:0.00} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{us:0.0} µs");

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>A platform served in this process over the in-process transport.</summary>
    private sealed class PlatformServerPair : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        private PlatformServerPair(InProcessTransport agent) => Agent = agent;

        public InProcessTransport Agent { get; }

        public static PlatformServerPair Start(DeviceModel model)
        {
            var platform = new ScmiPlatform(model);
            // Host resources as serve has them: read once, then every sampling period off the lock.
            if (platform.HasHostResources)
            {
                platform.RefreshHost(force: true);
                platform.StartSensorSampling(ScmiPlatform.SamplingPeriod);
            }

            var (agent, served) = InProcessTransport.CreatePair(new TransportCapabilities(128, 1024, true));
            var pair = new PlatformServerPair(agent);
            pair._serving = Task.Run(() => PlatformServer.ServeAsync(platform, served, 1, NullLogger.Instance, pair._stop.Token));
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _serving.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }
}
