using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.State;

/// <summary>
/// The platform's resource state as a file that survives a restart: one JSON object (what each
/// agent asked for and what is in force), then a line <c>sha256 HEX</c> over the JSON bytes. The
/// JSON names the model it belongs to (a fingerprint of its agents and resources); a file for
/// another model, a torn write (no checksum line), a checksum that disagrees or a value out of
/// range is refused with a reason, never half applied. Caller holds <see cref="ScmiPlatform.Sync"/>.
/// </summary>
internal static class StateFile
{
    private const int FormatVersion = 1;
    private const string ChecksumPrefix = "sha256 ";

    /// <summary>A fingerprint of what the state is about: agents and every resource's name, in order.</summary>
    public static string Fingerprint(DeviceModel model)
    {
        var text = new StringBuilder();
        text.Append("agents:").AppendJoin(',', model.Agents.Select(a => a.Name));
        text.Append("|perf:").AppendJoin(',', model.PerfDomains.Select(p => $"{p.Name}/{p.Opps.Count}"));
        text.Append("|clocks:").AppendJoin(',', model.Clocks.Select(c => c.Name));
        text.Append("|sensors:").AppendJoin(',', model.Sensors.Select(s => $"{s.Name}/{s.TripPoints}"));
        text.Append("|power:").AppendJoin(',', model.PowerDomains.Select(p => p.Name));
        text.Append("|reset:").AppendJoin(',', model.ResetDomains.Select(r => r.Name));
        text.Append("|voltage:").AppendJoin(',', model.VoltageDomains.Select(v => v.Name));
        text.Append("|powercap:").AppendJoin(',', model.PowercapDomains.Select(p => p.Name));
        text.Append("|devices:").Append(model.Devices.Count);
        if (model.Pinctrl is { } pins)
            text.Append("|pins:").Append(pins.Pins.Count).Append('/').Append(pins.Groups.Count).Append('/').Append(pins.Functions.Count);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>The state as file bytes (JSON, newline, checksum line).</summary>
    /// <param name="model">The model in force (its fingerprint is written).</param>
    /// <param name="state">The resource state.</param>
    /// <param name="daemon">Writes the daemon's own part (agents and VM sockets added at run time) into a "daemon" object; null: none.</param>
    public static byte[] Write(DeviceModel model, PlatformState state, Action<Utf8JsonWriter>? daemon = null)
    {
        var body = Body(model, state, daemon);
        var checksum = Encoding.ASCII.GetBytes($"\n{ChecksumPrefix}{Convert.ToHexStringLower(SHA256.HashData(body))}\n");
        return [.. body, .. checksum];
    }

    /// <summary>The state file's JSON alone, without its checksum line (what the dashboard shows).</summary>
    public static byte[] Body(DeviceModel model, PlatformState state, Action<Utf8JsonWriter>? daemon = null)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("format", FormatVersion);
            w.WriteString("model", Fingerprint(model));
            w.WriteNumber("system_state", state.SystemState);
            Array(w, "perf", state.Perf, (w, p) =>
            {
                w.WriteNumber("level", p.Level);
                w.WriteNumber("range_min", p.RangeMin);
                w.WriteNumber("range_max", p.RangeMax);
                w.WriteNumber("cap_ceiling", p.CapCeiling);
                w.WriteStartArray("requests");
                foreach (var r in p.Requests)
                {
                    if (r is { } level)
                        w.WriteNumberValue(level);
                    else
                        w.WriteNullValue();
                }

                w.WriteEndArray();
            });
            Array(w, "clocks", state.Clocks, (w, c) =>
            {
                w.WriteNumber("rate", c.Rate);
                if (c.Parent is { } parent)
                    w.WriteNumber("parent", parent);
                Votes(w, c.Votes);
            });
            Array(w, "power", state.Power, (w, p) =>
            {
                w.WriteBoolean("on", p.On);
                Votes(w, p.Votes);
            });
            Array(w, "voltage", state.Voltage, (w, v) =>
            {
                w.WriteNumber("level", v.Level);
                w.WriteBoolean("on", v.On);
            });
            Array(w, "reset", state.Resets, (w, r) =>
            {
                w.WriteNumber("holder", r.Holder);
                w.WriteBoolean("asserted", r.Asserted);
                w.WriteNumber("count", r.Count);
            });
            Array(w, "powercap", state.Powercap, (w, p) =>
            {
                w.WriteNumber("cap", p.Cap);
                w.WriteNumber("pai", p.Pai);
                w.WriteNumber("threshold_low", p.Thresholds.Low);
                w.WriteNumber("threshold_high", p.Thresholds.High);
            });
            Array(w, "sensors", state.Sensors, (w, s) =>
            {
                w.WriteBoolean("enabled", s.Enabled);
                w.WriteNumber("interval_seconds", s.IntervalSeconds);
                w.WriteNumber("interval_exponent", s.IntervalExponent);
                w.WriteStartArray("trips");
                foreach (var (direction, value) in s.Trips)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(direction);
                    w.WriteNumberValue(value);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            });
            Array(w, "pins", state.Pins, (w, p) =>
            {
                if (p.Function is { } function)
                    w.WriteNumber("function", function);
                w.WriteNumber("owner", p.Owner);
                w.WriteStartObject("configs");
                foreach (var (type, value) in p.Configs)
                    w.WriteNumber(type.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
                w.WriteEndObject();
                w.WriteStartArray("denied");
                foreach (var agent in p.Denied.Order())
                    w.WriteNumberValue(agent);
                w.WriteEndArray();
            });
            var (devices, protocols) = state.DeniedPermissions();
            w.WriteStartArray("denied_devices");
            foreach (var (agent, device) in devices)
            {
                w.WriteStartArray();
                w.WriteNumberValue(agent);
                w.WriteNumberValue(device);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteStartArray("denied_protocols");
            foreach (var (agent, device, kind) in protocols)
            {
                w.WriteStartArray();
                w.WriteNumberValue(agent);
                w.WriteNumberValue(device);
                w.WriteStringValue(kind.ToString());
                w.WriteEndArray();
            }

            w.WriteEndArray();
            if (daemon is not null)
            {
                w.WriteStartObject("daemon");
                daemon(w);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return json.ToArray();
    }

    private static void Array<T>(Utf8JsonWriter w, string name, T[] items, Action<Utf8JsonWriter, T> item)
    {
        w.WriteStartArray(name);
        foreach (var entry in items)
        {
            w.WriteStartObject();
            item(w, entry);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Votes(Utf8JsonWriter w, bool[] votes)
    {
        w.WriteStartArray("votes");
        foreach (var vote in votes)
            w.WriteBooleanValue(vote);
        w.WriteEndArray();
    }

    /// <summary>
    /// Checks a state file's checksum line and returns its JSON body; null with the reason when
    /// the file is torn, altered or not a vscmi state file.
    /// </summary>
    private static byte[]? Verify(ReadOnlySpan<byte> file, out string? refusal)
    {
        var end = file.LastIndexOf((byte)'\n');
        var start = end <= 0 ? -1 : file[..end].LastIndexOf((byte)'\n');
        if (start < 0)
        {
            refusal = "no checksum line: the file is torn or not a vscmi state file";
            return null;
        }

        var line = Encoding.ASCII.GetString(file[(start + 1)..end]);
        var body = file[..start];
        if (!line.StartsWith(ChecksumPrefix, StringComparison.Ordinal) || line.Length != ChecksumPrefix.Length + 64)
        {
            refusal = $"the last line is not '{ChecksumPrefix}<64 hex digits>': the file is torn or not a vscmi state file";
            return null;
        }

        if (!string.Equals(line[ChecksumPrefix.Length..], Convert.ToHexStringLower(SHA256.HashData(body)), StringComparison.Ordinal))
        {
            refusal = "the checksum does not match the contents (a torn or altered file)";
            return null;
        }

        refusal = null;
        return body.ToArray();
    }

    /// <summary>
    /// The "daemon" object of a whole state file (what <see cref="Write"/> was given), cloned; null
    /// when the file is torn, altered, not JSON or has none.
    /// </summary>
    public static JsonElement? ReadDaemonPart(ReadOnlySpan<byte> file)
    {
        if (Verify(file, out _) is not { } body)
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("daemon", out var daemon) && daemon.ValueKind == JsonValueKind.Object
                ? daemon.Clone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Applies a state file to <paramref name="state"/> when it is whole, for this model and in
    /// range; otherwise changes nothing and returns why (naming the field at fault).
    /// </summary>
    /// <param name="model">The model <paramref name="state"/> was built from.</param>
    /// <param name="state">Where the values go.</param>
    /// <param name="file">The file's bytes.</param>
    /// <param name="transfer">
    /// A live reload carrying the state into a new model: the fingerprint is not compared (the
    /// caller checked the resources kept their ids) and per-agent lists may be shorter than the
    /// model's agents (agents added at the end start from the model's defaults).
    /// </param>
    public static string? TryRestore(DeviceModel model, PlatformState state, ReadOnlySpan<byte> file, bool transfer = false)
    {
        if (Verify(file, out var refusal) is not { } body)
            return refusal;

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (Int(root, "format") != FormatVersion)
                return $"format {root.GetProperty("format")} is not {FormatVersion}";
            var fingerprint = root.GetProperty("model").GetString();
            if (!transfer && fingerprint != Fingerprint(model))
                return $"it belongs to another model (fingerprint {fingerprint}, this model's is {Fingerprint(model)}): agents or resources changed";

            // Everything is read and checked into a plan first; the state changes only if all of it holds.
            var plan = new List<Action>();
            var system = (uint)Long(root, "system_state", 0, 0x7FFFFFFF);
            plan.Add(() => state.SystemState = system);
            Each(root, "perf", state.Perf, plan, (e, p, i) =>
            {
                var opps = model.PerfDomains[i].Opps;
                var (low, high) = (opps[0].Level, opps[^1].Level);
                var level = (uint)Long(e, "level", low, high);
                var min = (uint)Long(e, "range_min", low, high);
                var max = (uint)Long(e, "range_max", min, high);
                var ceiling = (uint)Long(e, "cap_ceiling", low, high);
                var requests = e.GetProperty("requests").EnumerateArray().Select(r => r.ValueKind == JsonValueKind.Null ? (uint?)null : (uint)Long(r, "requests", low, high)).ToArray();
                Expect(requests.Length == p.Requests.Length || (transfer && requests.Length < p.Requests.Length), $"perf {i}: {requests.Length} requests for {p.Requests.Length} agents");
                return () =>
                {
                    (p.Level, p.RangeMin, p.RangeMax, p.CapCeiling) = (level, min, max, ceiling);
                    requests.CopyTo(p.Requests, 0);
                };
            });
            Each(root, "clocks", state.Clocks, plan, (e, c, i) =>
            {
                var rate = e.GetProperty("rate").GetUInt64();
                int? parent = e.TryGetProperty("parent", out var p) ? (int)Long(p, "parent", 0, model.Clocks.Count - 1) : null;
                var votes = VotesOf(e, c.Votes.Length, $"clock {i}", transfer);
                return () =>
                {
                    (c.Rate, c.Parent) = (rate, parent);
                    votes.CopyTo(c.Votes, 0);
                };
            });
            Each(root, "power", state.Power, plan, (e, p, i) =>
            {
                var on = e.GetProperty("on").GetBoolean();
                var votes = VotesOf(e, p.Votes.Length, $"power domain {i}", transfer);
                return () =>
                {
                    p.On = on;
                    votes.CopyTo(p.Votes, 0);
                };
            });
            Each(root, "voltage", state.Voltage, plan, (e, v, i) =>
            {
                var (level, on) = ((int)Long(e, "level", int.MinValue, int.MaxValue), e.GetProperty("on").GetBoolean());
                return () => (v.Level, v.On) = (level, on);
            });
            Each(root, "reset", state.Resets, plan, (e, r, i) =>
            {
                var holder = (int)Long(e, "holder", 0, model.Agents.Count);
                var asserted = e.GetProperty("asserted").GetBoolean();
                var count = (uint)Long(e, "count", 0, uint.MaxValue);
                return () => (r.Holder, r.Asserted, r.Count) = (holder, asserted, count);
            });
            Each(root, "powercap", state.Powercap, plan, (e, p, i) =>
            {
                var (cap, pai) = ((uint)Long(e, "cap", 0, uint.MaxValue), (uint)Long(e, "pai", 0, uint.MaxValue));
                var thresholds = ((uint)Long(e, "threshold_low", 0, uint.MaxValue), (uint)Long(e, "threshold_high", 0, uint.MaxValue));
                return () => (p.Cap, p.Pai, p.Thresholds) = (cap, pai, thresholds);
            });
            Each(root, "sensors", state.Sensors, plan, (e, s, i) =>
            {
                var enabled = e.GetProperty("enabled").GetBoolean();
                var seconds = (uint)Long(e, "interval_seconds", 0, 0xFFFF);
                var exponent = (int)Long(e, "interval_exponent", -16, 15);
                var trips = e.GetProperty("trips").EnumerateArray().Select(t => ((uint)Long(t[0], "trip direction", 0, 3), t[1].GetInt64())).ToArray();
                Expect(trips.Length == s.Trips.Length, $"sensor {i}: {trips.Length} trip points, the model has {s.Trips.Length}");
                return () =>
                {
                    (s.Enabled, s.IntervalSeconds, s.IntervalExponent) = (enabled, seconds, exponent);
                    trips.CopyTo(s.Trips, 0);
                };
            });
            Each(root, "pins", state.Pins, plan, (e, p, i) =>
            {
                uint? function = e.TryGetProperty("function", out var f) ? (uint)Long(f, "function", 0, uint.MaxValue) : null;
                var owner = (int)Long(e, "owner", 0, model.Agents.Count);
                var configs = e.GetProperty("configs").EnumerateObject().Select(c => (Type: byte.Parse(c.Name, System.Globalization.CultureInfo.InvariantCulture), Value: (uint)Long(c.Value, "config", 0, uint.MaxValue))).ToArray();
                var denied = e.GetProperty("denied").EnumerateArray().Select(d => (int)Long(d, "denied agent", 1, model.Agents.Count)).ToArray();
                return () =>
                {
                    (p.Function, p.Owner) = (function, owner);
                    p.Configs.Clear();
                    foreach (var (type, value) in configs)
                        p.Configs[type] = value;
                    p.Denied.Clear();
                    p.Denied.UnionWith(denied);
                };
            });
            var devices = root.GetProperty("denied_devices").EnumerateArray()
                .Select(d => ((int)Long(d[0], "agent", 1, model.Agents.Count), (int)Long(d[1], "device", 0, model.Devices.Count - 1))).ToArray();
            var protocols = root.GetProperty("denied_protocols").EnumerateArray()
                .Select(d => ((int)Long(d[0], "agent", 1, model.Agents.Count), (int)Long(d[1], "device", 0, model.Devices.Count - 1),
                    Enum.TryParse<ResourceKind>(d[2].GetString(), out var kind) ? kind : throw new FormatException($"denied_protocols: unknown resource kind {d[2]}"))).ToArray();
            plan.Add(() => state.RestorePermissions(devices, protocols));
            foreach (var step in plan)
                step();
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or OverflowException or ArgumentException)
        {
            return $"its contents do not fit this model: {e.Message}";
        }
    }

    private static void Each<T>(JsonElement root, string name, T[] items, List<Action> plan, Func<JsonElement, T, int, Action> read)
    {
        var entries = root.GetProperty(name);
        Expect(entries.GetArrayLength() == items.Length, $"{name}: {entries.GetArrayLength()} entries, the model has {items.Length}");
        var i = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            plan.Add(read(entry, items[i], i));
            i++;
        }
    }

    private static bool[] VotesOf(JsonElement entry, int agents, string what, bool transfer)
    {
        var votes = entry.GetProperty("votes").EnumerateArray().Select(v => v.GetBoolean()).ToArray();
        Expect(votes.Length == agents || (transfer && votes.Length < agents), $"{what}: {votes.Length} votes for {agents} agents");
        return votes;
    }

    private static void Expect(bool condition, string otherwise)
    {
        if (!condition)
            throw new FormatException(otherwise);
    }

    private static long Int(JsonElement element, string name) => element.GetProperty(name).GetInt64();

    private static long Long(JsonElement element, string name, long min, long max)
    {
        var value = element.ValueKind == JsonValueKind.Object ? element.GetProperty(name) : element;
        var number = value.GetInt64();
        Expect(number >= min && number <= max, $"{name} = {number} is outside {min}..{max}");
        return number;
    }
}
