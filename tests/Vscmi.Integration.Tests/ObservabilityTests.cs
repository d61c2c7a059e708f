using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Vscmi.Protocol.Capture;
using Vscmi.Protocol.Schema;

namespace Vscmi.Integration.Tests;

/// <summary>
/// A running daemon seen from outside (docs/observability.md): the Prometheus endpoint counts what
/// the clients sent; <c>vscmi trace --write</c> records a known exchange that tshark, with the
/// generated dissector, reads back field by field as vscmi decodes it; <c>vscmi replay</c> finds
/// no difference against the same model and names the one a changed model makes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ObservabilityTests
{
    private static Uri UrlFrom(ServeProcess serve, string what)
    {
        var match = Regex.Match(serve.Output, what + @": (http://\S+?)(metrics)? ");
        Assert.True(match.Success, $"no '{what}:' line in\n{serve.Output}");
        return new Uri(match.Groups[1].Value);
    }

    /// <summary>Every sample of a metric family: its labels and value.</summary>
    private static List<(Dictionary<string, string> Labels, double Value)> Samples(string text, string name)
    {
        var samples = new List<(Dictionary<string, string>, double)>();
        foreach (Match line in MetricLine().Matches(text))
        {
            if (line.Groups[1].Value != name)
                continue;
            var labels = LabelPair().Matches(line.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            samples.Add((labels, double.Parse(line.Groups[3].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    private static double Value(string text, string name, params (string Label, string Value)[] labels) =>
        Samples(text, name).Where(s => labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();

    [Fact]
    public async Task The_scraped_metrics_match_the_traffic_each_agent_sent()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--socket", "guest={dir}/guest.sock", "--metrics", "127.0.0.1:0");
        var metrics = new Uri(UrlFrom(serve, "metrics"), "metrics");
        using (var ospm = serve.Connect(serve.PathOf("ospm.sock")))
        using (var guest = serve.Connect(serve.PathOf("guest.sock")))
        {
            for (var i = 0; i < 7; i++)
                Assert.Equal(0u, ospm.Call(0x00005006, 3)[1]);                   // CLOCK_RATE_GET: SUCCESS
            for (var i = 0; i < 3; i++)
                Assert.Equal(unchecked((uint)-4), ospm.Call(0x00005006, 99)[1]); // no clock 99: NOT_FOUND
            for (var i = 0; i < 4; i++)
                Assert.Equal(0u, guest.Call(0x00004000)[1]);                     // BASE PROTOCOL_VERSION
            for (var i = 0; i < 2; i++)
                Assert.Equal(unchecked((uint)-1), guest.Call(0x0000507F)[1]);    // no such message: NOT_SUPPORTED
        }

        using var http = new HttpClient();
        string text = "";
        // The exporter caches a scrape for a moment; the counts arrive on a later one at the latest.
        await Poll.Until(() =>
        {
            text = http.GetStringAsync(metrics).GetAwaiter().GetResult();
            return Value(text, "vscmi_session_disconnects_total") >= 2;
        }, "the disconnects in the scrape");

        const string messages = "vscmi_scmi_messages_total";
        Assert.Equal(7, Value(text, messages, ("scmi_agent", "OSPM"), ("scmi_message", "CLOCK_RATE_GET"), ("scmi_status", "SUCCESS")));
        Assert.Equal(3, Value(text, messages, ("scmi_agent", "OSPM"), ("scmi_message", "CLOCK_RATE_GET"), ("scmi_status", "NOT_FOUND")));
        Assert.Equal(10, Value(text, messages, ("scmi_agent", "OSPM")));
        Assert.Equal(4, Value(text, messages, ("scmi_agent", "guest"), ("scmi_protocol", "BASE"), ("scmi_message", "PROTOCOL_VERSION"), ("scmi_status", "SUCCESS")));
        Assert.Equal(2, Value(text, messages, ("scmi_agent", "guest"), ("scmi_message", "unknown"), ("scmi_status", "NOT_SUPPORTED")));
        Assert.Equal(0, Value(text, messages, ("scmi_agent", "sandbox")));
        Assert.Equal(10, Value(text, "vscmi_scmi_reply_duration_seconds_count", ("scmi_agent", "OSPM"), ("scmi_protocol", "CLOCK")));
        Assert.Equal(1, Value(text, "vscmi_session_connects_total", ("scmi_agent", "guest"), ("vscmi_transport", "stream")));
        Assert.Equal(0, Value(text, "vscmi_sessions", ("scmi_agent", "OSPM")));

        // Bounded label sets: no resource id, no token.
        foreach (var (labels, _) in Samples(text, messages))
            Assert.Equal(["otel_scope_name", "scmi_agent", "scmi_message", "scmi_protocol", "scmi_status"], labels.Keys.Order(StringComparer.Ordinal));
    }

    // A known exchange: each message's own layout shapes (numbers, bit words, names, arrays, records, an error).
    private static readonly uint[][] Exchange =
    [
        [0x00004000],                // BASE PROTOCOL_VERSION
        [0x00004003],                // BASE_DISCOVER_VENDOR
        [0x00004006, 0],             // BASE_DISCOVER_LIST_PROTOCOLS: a packed byte array
        [0x00005003, 7],             // CLOCK_ATTRIBUTES: a bit word and a name
        [0x00005004, 0, 0],          // CLOCK_DESCRIBE_RATES: a 64-bit array
        [0x00005403, 0],             // SENSOR_DESCRIPTION_GET: records with optional extended attributes
        [0x00004C04, 1, 0],          // PERFORMANCE_DESCRIBE_LEVELS: records
        [0x00005006, 99],            // CLOCK_RATE_GET of no clock: NOT_FOUND, no return values
    ];

    private static async Task<string> RecordAsync(ServeProcess serve, string file)
    {
        var start = new ProcessStartInfo(Path.Combine(CliProcess.RepositoryRoot, "vscmi"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "trace", "--control", serve.PathOf("control.sock"), "--agent", "OSPM", "--write", file, "--count", (Exchange.Length * 2).ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        using var trace = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var tracing = new TaskCompletionSource();
        trace.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
                stderr.AppendLine(e.Data);
            if (e.Data?.StartsWith("tracing", StringComparison.Ordinal) == true)
                tracing.TrySetResult();
        };
        trace.BeginErrorReadLine();
        var stdout = trace.StandardOutput.ReadToEndAsync();
        await Task.WhenAny(tracing.Task, trace.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.True(tracing.Task.IsCompleted, $"vscmi trace did not start: {stderr}");

        using (var guest = serve.Connect(serve.PathOf("guest.sock")))
            guest.Call(0x00004000); // another agent: not in this trace
        using (var ospm = serve.Connect(serve.PathOf("ospm.sock")))
        {
            foreach (var words in Exchange)
                ospm.Call(words);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await trace.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, trace.ExitCode);
        return await stdout;
    }

    [Fact]
    public async Task A_recorded_trace_reads_back_in_tshark_field_by_field_as_vscmi_decodes_it()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--socket", "guest={dir}/guest.sock", "--control", "{dir}/control.sock");
        var file = serve.PathOf("exchange.pcapng");
        var printed = await RecordAsync(serve, file);
        Assert.Contains("OSPM → CLOCK 0x14 CLOCK_ATTRIBUTES command", printed, StringComparison.Ordinal);
        Assert.Matches(@"OSPM ← CLOCK 0x14 CLOCK_RATE_GET response token=\d+ status=NOT_FOUND  \(\d+\.\d µs\)", printed);
        Assert.DoesNotContain("guest", printed, StringComparison.Ordinal);

        var captured = Pcapng.Read(await File.ReadAllBytesAsync(file));
        Assert.Equal(Exchange.Length * 2, captured.Count);
        Assert.All(captured, m => Assert.Equal("OSPM", m.Agent));

        var dissector = Path.Combine(CliProcess.RepositoryRoot, "docs", "wireshark", "vscmi.lua");
        var (exit, pdml, stderr) = CliProcess.RunTool("tshark", "-X", $"lua_script:{dissector}", "-r", file, "-T", "pdml");
        Assert.True(exit == 0, $"tshark failed ({exit}): {stderr}");
        var packets = XDocument.Parse(pdml).Root!.Elements("packet").ToList();
        Assert.Equal(captured.Count, packets.Count);
        var compared = 0;
        for (var i = 0; i < captured.Count; i++)
        {
            var message = captured[i];
            var kind = message.Direction == CaptureDirection.Inbound ? ScmiMessageKind.Command : ScmiMessageKind.Response;
            var decoded = ScmiMessageCodec.Decode(message.Message, kind, new DecodeOptions(Lenient: true));
            var shown = Fields(packets[i]);
            Assert.Equal([decoded.Name], shown["vscmi.message"]);
            Assert.Equal([decoded.Header.Token.ToString(CultureInfo.InvariantCulture)], shown["vscmi.token"]);
            if (decoded.Status is { } status)
                Assert.Equal(status.ToString(CultureInfo.InvariantCulture), shown["vscmi.status"].Single());
            var expected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            if (decoded.Layout is { } layout)
                Flatten(layout, decoded.Fields, expected);
            foreach (var (name, values) in expected)
            {
                Assert.True(shown.TryGetValue("vscmi." + name, out var actual), $"packet {i + 1} ({decoded.Name}): Wireshark shows no vscmi.{name}");
                Assert.True(values.SequenceEqual(actual.Select(Normalize)), $"packet {i + 1} ({decoded.Name}) vscmi.{name}: vscmi decodes [{string.Join(", ", values)}], Wireshark shows [{string.Join(", ", actual)}]");
                compared += values.Count;
            }
        }

        Assert.True(compared > 100, $"only {compared} field values compared");
    }

    [Fact]
    public async Task Replay_finds_no_difference_against_the_same_model_and_names_the_change_of_another()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--socket", "guest={dir}/guest.sock", "--control", "{dir}/control.sock");
        var file = serve.PathOf("exchange.pcapng");
        await RecordAsync(serve, file);

        var same = CliProcess.Run("replay", file, "--connect", "unix:" + serve.PathOf("ospm.sock"));
        Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
        Assert.Contains($"{Exchange.Length} command(s) of OSPM replayed, 0 difference(s)", same.Stdout, StringComparison.Ordinal);

        // The same platform with clock 7 renamed: CLOCK_ATTRIBUTES answers differently, nothing else does.
        var model = CliProcess.Run("config", "show").Stdout.Replace("\"display_pixel\"", "\"display_pix\"", StringComparison.Ordinal);
        Assert.Contains("display_pix\"", model, StringComparison.Ordinal);
        var changedModel = serve.PathOf("changed.toml");
        await File.WriteAllTextAsync(changedModel, model);
        await using var changed = await ServeProcess.StartAsync("--config", changedModel, "--socket", "OSPM={dir}/ospm.sock");
        var different = CliProcess.Run("replay", file, "--connect", "unix:" + changed.PathOf("ospm.sock"));
        Assert.True(different.ExitCode == 3, different.Stdout + different.Stderr);
        Assert.Contains("1 difference(s)", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("differs: CLOCK 0x14 CLOCK_ATTRIBUTES command", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("name=\"display_pixel\"", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("name=\"display_pix\"", different.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trace_of_an_agent_or_protocol_that_does_not_exist_is_refused_by_name()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--control", "{dir}/control.sock");
        var agent = CliProcess.Run("trace", "--control", serve.PathOf("control.sock"), "--agent", "nobody");
        Assert.Equal(1, agent.ExitCode);
        Assert.Contains("agent \"nobody\": the model has no such agent (OSPM, guest, sandbox)", agent.Stderr, StringComparison.Ordinal);
        var protocol = CliProcess.Run("trace", "--control", serve.PathOf("control.sock"), "--protocol", "WARP");
        Assert.Equal(1, protocol.ExitCode);
        Assert.Contains("protocol \"WARP\": not an SCMI protocol", protocol.Stderr, StringComparison.Ordinal);
        var nowhere = CliProcess.Run("trace", "--control", serve.PathOf("nothing.sock"));
        Assert.Equal(1, nowhere.ExitCode);
        Assert.Contains("cannot reach the daemon", nowhere.Stderr, StringComparison.Ordinal);

        // The daemon goes on serving, and the control socket answers as before.
        using var ospm = serve.Connect(serve.PathOf("ospm.sock"));
        Assert.Equal(0u, ospm.Call(0x00004000)[1]);
        Assert.Contains("OSPM", CliProcess.Ctl(serve.PathOf("control.sock"), "status"), StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_refuses_a_file_that_is_not_a_trace_naming_the_fault()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, [0x0A, 0x0D, 0x0D, 0x0A, 7, 0, 0, 0, 1, 2, 3, 4]);
            var (exit, _, stderr) = CliProcess.Run("replay", file, "--connect", "unix:/nonexistent.sock");
            Assert.Equal(1, exit);
            Assert.Contains("offset 0: block length 7", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Normalize(string shown) =>
        shown.StartsWith("0x", StringComparison.Ordinal) ? ulong.Parse(shown.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : shown;

    /// <summary>Every vscmi.* field tshark shows in one packet, in order, by name.</summary>
    private static Dictionary<string, List<string>> Fields(XElement packet)
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var field in packet.Descendants("field"))
        {
            var name = (string?)field.Attribute("name");
            if (name is null || !name.StartsWith("vscmi.", StringComparison.Ordinal))
                continue;
            if (!fields.TryGetValue(name, out var list))
                fields[name] = list = [];
            list.Add((string?)field.Attribute("show") ?? "");
        }

        return fields;
    }

    /// <summary>vscmi's decoded fields in wire order, by name, as decimal text (strings as they are).</summary>
    private static void Flatten(Layout layout, FieldSet values, Dictionary<string, List<string>> into)
    {
        void Add(string name, string value)
        {
            if (!into.TryGetValue(name, out var list))
                into[name] = list = [];
            list.Add(value);
        }

        foreach (var field in layout.Fields)
        {
            switch (field)
            {
                case NumberSpec number when values.TryGet(number.Name, out var v) && v is ScalarValue s:
                    Add(number.Name, number.Signed ? ((long)s.Bits).ToString(CultureInfo.InvariantCulture) : s.Bits.ToString(CultureInfo.InvariantCulture));
                    break;
                case NameSpec name when values.TryGet(name.Name, out var v) && v is TextValue t:
                    Add(name.Name, t.Value);
                    break;
                case BitsSpec bits:
                    ulong word = 0;
                    foreach (var sub in bits.Fields)
                    {
                        var value = values.ValueOrZero(sub.Name);
                        word |= (value << sub.Low) & sub.Mask;
                        Add(sub.Name, sub.Signed ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture));
                    }

                    Add(bits.Name, word.ToString(CultureInfo.InvariantCulture));
                    break;
                case ArraySpec array when values.TryGet(array.Name, out var v):
                    if (v is RecordListValue records)
                    {
                        foreach (var record in records.Items)
                            Flatten(array.Entry!, record, into);
                    }
                    else if (v is NumberListValue numbers)
                    {
                        foreach (var n in numbers.Items)
                            Add(array.Name, array.Kind == ElementKind.S32 ? ((long)n).ToString(CultureInfo.InvariantCulture) : n.ToString(CultureInfo.InvariantCulture));
                    }

                    break;
                case ConditionalSpec conditional when conditional.Predicate(values):
                    Flatten(conditional.Fields, values, into);
                    break;
            }
        }
    }
}
