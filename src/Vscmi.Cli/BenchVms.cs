using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Vscmi.Agent;
using Vscmi.Cli.Control;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.VhostUser;

namespace Vscmi.Cli;

/// <summary>
/// <c>vscmi bench --vms N</c> (issue 18): many VMs on one daemon. Adds N VMs through the daemon's
/// control socket (new agents <c>bench-vm1</c>…, each with its own vhost-user socket), drives each
/// with vscmi's own frontend at a steady rate with one command in flight, and reports the latency
/// over all of them, the daemon's CPU (per message and as a share of one core) and its resident
/// memory per VM. With <c>--fanout-hz</c> it instead floods SENSOR_UPDATE to every VM at that rate
/// and counts what each received. The VMs are removed at the end.
/// </summary>
internal static class BenchVms
{
    public static async Task<int> RunAsync(string control, int vms, double rate, double seconds, double fanoutHz, bool json, CancellationToken cancellationToken)
    {
        if (vms is < 1 or > 200)
            return Fail($"--vms {vms} is outside 1..200", 2);
        if (rate is <= 0 or > 100_000)
            return Fail($"--rate {rate} is outside (0, 100000] commands/s per VM", 2);
        int pid;
        try
        {
            using var status = JsonDocument.Parse(CtlCommand.Request(control, "{\"command\":\"status\"}"));
            pid = status.RootElement.GetProperty("pid").GetInt32();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or JsonException or KeyNotFoundException)
        {
            return Fail($"--control {control}: cannot reach the daemon: {e.Message}", 1);
        }

        var directory = Directory.CreateTempSubdirectory("vscmi-bench-vms-");
        var rssBefore = Rss(pid);
        var names = Enumerable.Range(1, vms).Select(i => $"bench-vm{i}").ToList();
        List<ScmiClient> clients = [];
        try
        {
            foreach (var name in names)
            {
                var answer = Request(control, w =>
                {
                    w.WriteString("command", "vm add");
                    w.WriteString("name", name);
                    w.WriteString("vhost_user", Path.Combine(directory.FullName, $"{name}.sock"));
                });
                if (answer is not null)
                    return Fail($"vm add {name}: {answer}", 1);
            }

            foreach (var name in names)
            {
                var transport = await VhostUserTransport.ConnectAsync(Path.Combine(directory.FullName, $"{name}.sock"), cancellationToken: cancellationToken).ConfigureAwait(false);
                var client = new ScmiClient(transport);
                clients.Add(client);
                await client.Base.GetVersionAsync(cancellationToken).ConfigureAwait(false); // warm: the device is up
            }

            if (!json)
                Console.Error.WriteLine($"bench: {vms} VMs connected; {(fanoutHz > 0 ? $"SENSOR_UPDATE at {fanoutHz} Hz to each" : $"{rate} commands/s each")} for {seconds} s");
            return fanoutHz > 0
                ? await FanOutAsync(control, pid, clients, fanoutHz, seconds, rssBefore, json, cancellationToken).ConfigureAwait(false)
                : await LoadAsync(pid, clients, rate, seconds, rssBefore, json, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync().ConfigureAwait(false);
            foreach (var name in names)
                Request(control, w => { w.WriteString("command", "vm remove"); w.WriteString("name", name); });
            directory.Delete(recursive: true);
        }
    }

    private static async Task<int> LoadAsync(int pid, List<ScmiClient> clients, double rate, double seconds, long? rssBefore, bool json, CancellationToken cancellationToken)
    {
        var latencies = new List<long>[clients.Count];
        var errors = 0L;
        var cpuBefore = Vscmi.Linux.ProcessCpu.TotalNanoseconds(pid);
        var wall = Stopwatch.StartNew();
        var period = Stopwatch.Frequency / rate;
        async Task Vm(int index)
        {
            var mine = latencies[index] = new List<long>((int)(rate * seconds) + 16);
            var client = clients[index];
            // Each VM starts at its own offset in the period, as unsynchronised guests would.
            var start = Stopwatch.GetTimestamp() + (long)(period * index / clients.Count);
            for (long k = 0; ; k++)
            {
                var due = start + (long)(k * period);
                if (wall.Elapsed.TotalSeconds >= seconds || cancellationToken.IsCancellationRequested)
                    break;
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
                var sent = Stopwatch.GetTimestamp();
                var reply = await client.RequestAsync(ScmiProtocolId.SENSOR, (byte)SensorMessageId.SENSOR_READING_GET, SensorReading, cancellationToken: cancellationToken).ConfigureAwait(false);
                mine.Add(Stopwatch.GetTimestamp() - sent);
                if (reply.Status != 0)
                    Interlocked.Increment(ref errors);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients.Count).Select(Vm)).ConfigureAwait(false);
        var elapsed = wall.Elapsed.TotalSeconds;
        var cpuAfter = Vscmi.Linux.ProcessCpu.TotalNanoseconds(pid);
        var rssAfter = Rss(pid);
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
        var cpuNs = cpuBefore is { } b && cpuAfter is { } a ? a - b : (long?)null;
        Output.Object(json, $"{clients.Count} VMs at {rate} commands/s each", [
            ("vms", "VMs", clients.Count), ("rate_per_vm", "Commands/s per VM", rate), ("seconds", "Seconds", Math.Round(elapsed, 3)),
            ("messages", "Messages", all.Length), ("errors", "Errors", errors),
            ("messages_per_second", "Messages/s", Math.Round(all.Length / elapsed, 1)),
            ("p50_us", "p50 µs", Math.Round(Percentile(0.5), 2)), ("p99_us", "p99 µs", Math.Round(Percentile(0.99), 2)), ("p999_us", "p99.9 µs", Math.Round(Percentile(0.999), 2)),
            ("daemon_cpu_percent_of_core", "Daemon CPU % of a core", cpuNs is { } c ? Math.Round(100.0 * c / (elapsed * 1e9), 2) : null),
            ("daemon_cpu_ns_per_message", "Daemon CPU/msg ns", cpuNs is { } n && all.Length > 0 ? Math.Round((double)n / all.Length, 1) : null),
            ("daemon_rss_kib_per_vm", "Daemon RSS per VM KiB", rssBefore is { } r0 && rssAfter is { } r1 ? Math.Round((r1 - r0) / (double)clients.Count, 1) : null),
        ]);
        return errors == 0 ? 0 : 1;
    }

    private static async Task<int> FanOutAsync(string control, int pid, List<ScmiClient> clients, double hz, double seconds, long? rssBefore, bool json, CancellationToken cancellationToken)
    {
        var received = new long[clients.Count];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = clients.Select((client, i) => Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in client.ReadNotificationsAsync(stop.Token).ConfigureAwait(false))
                    Interlocked.Increment(ref received[i]);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None)).ToList();
        var expected = (long)Math.Round(hz * seconds);
        var cpuBefore = Vscmi.Linux.ProcessCpu.TotalNanoseconds(pid);
        var wall = Stopwatch.StartNew();
        var refusal = Request(control, w =>
        {
            w.WriteString("command", "inject add");
            w.WriteString("kind", "flood");
            w.WriteString("message", "SENSOR_UPDATE");
            w.WriteNumber("rate", hz);
            w.WriteNumber("count", expected);
        });
        if (refusal is not null)
            return Fail($"inject flood: {refusal}", 1);
        await Task.Delay(TimeSpan.FromSeconds(seconds + 0.5), cancellationToken).ConfigureAwait(false);
        var elapsed = wall.Elapsed.TotalSeconds;
        var cpuAfter = Vscmi.Linux.ProcessCpu.TotalNanoseconds(pid);
        await Task.Delay(500, cancellationToken).ConfigureAwait(false); // the last ones in flight
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(readers).ConfigureAwait(false);
        Request(control, w => w.WriteString("command", "inject clear"));
        var cpuNs = cpuBefore is { } b && cpuAfter is { } a ? a - b : (long?)null;
        var lost = received.Sum(r => Math.Max(0, expected - r));
        Output.Object(json, $"SENSOR_UPDATE at {hz} Hz to {clients.Count} VMs", [
            ("vms", "VMs", clients.Count), ("hz", "Hz", hz), ("seconds", "Seconds", Math.Round(elapsed, 3)),
            ("sent_per_vm", "Sent per VM", expected), ("received_min", "Fewest received", received.Min()), ("received_max", "Most received", received.Max()),
            ("lost", "Lost", lost),
            ("daemon_cpu_percent_of_core", "Daemon CPU % of a core", cpuNs is { } c ? Math.Round(100.0 * c / (elapsed * 1e9), 2) : null),
            ("daemon_rss_kib_per_vm", "Daemon RSS per VM KiB", rssBefore is { } r0 && Rss(pid) is { } r1 ? Math.Round((r1 - r0) / (double)clients.Count, 1) : null),
        ]);
        return lost == 0 ? 0 : 1;
    }

    private static readonly Vscmi.Protocol.Schema.FieldSet SensorReading =
        Vscmi.Protocol.Schema.LayoutCodec.Decode(ScmiCatalog.Get(ScmiProtocolId.SENSOR).FindMessage((byte)SensorMessageId.SENSOR_READING_GET)!.Request, new byte[8], Vscmi.Protocol.Schema.DecodeOptions.Relaxed);

    /// <summary>The daemon's resident memory in KiB (VmRSS), or null.</summary>
    private static long? Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>One control request; null when it succeeded, otherwise the daemon's error.</summary>
    private static string? Request(string control, Action<Utf8JsonWriter> write)
    {
        using var answer = JsonDocument.Parse(CtlCommand.Request(control, ControlServer.Json(write)));
        return answer.RootElement.TryGetProperty("ok", out var ok) && ok.GetBoolean() ? null
            : answer.RootElement.TryGetProperty("error", out var error) ? error.GetString() : answer.RootElement.ToString();
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
