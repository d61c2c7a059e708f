using System.Globalization;
using System.Text.Json;
using Vscmi.Platform;
using Vscmi.Platform.Injection;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Cli.Control;

/// <summary>
/// The control socket's fault requests (docs/control.md, docs/scenarios.md): <c>inject add</c>,
/// <c>inject list</c>, <c>inject clear</c>. Every refusal names the value at fault.
/// </summary>
internal static class InjectControl
{
    public static string Add(ScmiPlatform platform, JsonElement request)
    {
        if (Parse(platform, request, out var spec) is { } error)
            return ControlServer.Error(error);
        int id;
        try
        {
            id = platform.Faults.Add(spec!);
        }
        catch (ArgumentException e)
        {
            return ControlServer.Error(e.Message.Split(" (Parameter", 2)[0]);
        }

        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteNumber("id", id);
            w.WriteString("fault", Describe(spec!));
        });
    }

    public static string List(ScmiPlatform platform) => ControlServer.Json(w =>
    {
        w.WriteBoolean("ok", true);
        w.WriteStartArray("faults");
        foreach (var fault in platform.Faults.List())
        {
            w.WriteStartObject();
            w.WriteNumber("id", fault.Id);
            w.WriteString("fault", Describe(fault.Spec));
            w.WriteNumber("applied", fault.Applied);
            if (fault.Remaining is { } remaining)
                w.WriteNumber("remaining", remaining);
            else
                w.WriteNull("remaining");
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static string Clear(ScmiPlatform platform, JsonElement request)
    {
        if (request.TryGetProperty("id", out var idValue))
        {
            if (!idValue.TryGetInt32(out var id))
                return ControlServer.Error($"id {idValue}: not a fault id (see inject list)");
            if (!platform.Faults.Remove(id))
                return ControlServer.Error($"id {id}: no such fault (see inject list)");
            return ControlServer.Json(w =>
            {
                w.WriteBoolean("ok", true);
                w.WriteNumber("cleared", 1);
            });
        }

        var cleared = platform.Faults.Clear();
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteNumber("cleared", cleared);
        });
    }

    /// <summary>One line a person reads: <c>status BUSY to guest's CLOCK_RATE_SET, 3 times</c>.</summary>
    public static string Describe(FaultSpec spec)
    {
        var ms = (TimeSpan t) => t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture);
        var agent = spec.Agent is { } a ? $"{a}'s" : "every agent's";
        var how = (spec.Count is { } n ? $", {n} time(s)" : "") + (spec.Probability < 1 ? $", with probability {spec.Probability.ToString(CultureInfo.InvariantCulture)} (seed {spec.Seed})" : "");
        switch (spec.Kind)
        {
            case FaultKind.Flood:
                var name = ScmiCatalog.Find(spec.Protocol!.Value)?.FindNotification(spec.Message!.Value)?.Name ?? $"notification 0x{spec.Message:X2}";
                return $"flood {(spec.Agent is { } who ? $"{who}'s" : "every agent's")} channels with {name} (resource {spec.Resource ?? 0}) at {spec.Rate.ToString(CultureInfo.InvariantCulture)}/s" + (spec.Count is { } total ? $", {total} in all" : "");
            case FaultKind.Withhold:
                return $"withhold {agent} notifications and delayed responses";
            case FaultKind.Sensor:
                return $"sensor {spec.Resource} reads {spec.Value}" + (spec.RampTo is { } to ? $", ramping to {to} over {ms(spec.Delay)} ms" : "");
        }

        var what = spec.Kind switch
        {
            FaultKind.Status => $"status {spec.Status}",
            FaultKind.Delay => $"delay {ms(spec.Delay)} ms" + (spec.Jitter > TimeSpan.Zero ? $" + up to {ms(spec.Jitter)} ms" : ""),
            FaultKind.Late => $"late reply after {ms(spec.Delay)} ms",
            FaultKind.WrongToken => "reply under a wrong token",
            FaultKind.Truncate => $"reply cut to {spec.Bytes} byte(s)",
            FaultKind.HoldDelayed => $"delayed response held {ms(spec.Delay)} ms more",
            _ => "drop (no reply)",
        };
        var message = spec.Protocol is { } p
            ? spec.Message is { } m ? ScmiCatalog.FindMessage(p, m)?.Name ?? $"protocol 0x{p:X2} message 0x{m:X2}" : $"every {ScmiCatalog.Find(p)?.ShortName ?? $"0x{p:X2}"} command"
            : "every command";
        var resource = spec.Resource is { } r ? $" naming resource {r}" : "";
        return $"{what} to {agent} {message}{resource}{how}";
    }

    /// <summary>The fault kinds <c>inject add</c> takes, by their names on the wire and the command line.</summary>
    public static IReadOnlyDictionary<string, FaultKind> Kinds => FaultNames.Kinds;

    private static string? Parse(ScmiPlatform platform, JsonElement request, out FaultSpec? spec)
    {
        spec = null;
        var kindText = Text(request, "kind");
        if (kindText is null || !Kinds.TryGetValue(kindText, out var kind))
            return $"kind {kindText ?? "(none)"}: one of {string.Join(", ", Kinds.Keys)}";

        var agent = Text(request, "agent");
        if (agent is not null)
        {
            if (AgentId(platform, agent) is not { } id)
                return UnknownAgent(platform, agent);
            agent = platform.Model.Agents[id - 1].Name;
        }

        byte? protocol = null, message = null;
        if (Text(request, "protocol") is { } protocolText)
        {
            if (ScmiCatalog.Find(protocolText) is not { } found)
                return $"protocol \"{protocolText}\": not an SCMI protocol (a name such as CLOCK, or an id such as 0x14)";
            protocol = (byte)found.Id;
        }

        if (Text(request, "message") is { } messageText)
        {
            if (kind == FaultKind.Flood)
            {
                // A flood sends a notification: named (PERFORMANCE_LEVEL_CHANGED), or by id with the protocol.
                var events = ScmiCatalog.FindByName(messageText, notification: true, protocol);
                if (events.Count == 1)
                    (protocol, message) = events[0];
                else if (protocol is not null && TryByte(messageText, out var eventId))
                    message = eventId;
                else
                    return $"notification \"{messageText}\": not a notification name (PERFORMANCE_LEVEL_CHANGED, SENSOR_TRIP_POINT_EVENT...)";
            }
            else
            {
                // A message by name (CLOCK_RATE_SET), or by id within the protocol given.
                var named = ScmiCatalog.FindByName(messageText, notification: false, protocol);
                if (named.Count == 1)
                    (protocol, message) = named[0];
                else if (protocol is not null && TryByte(messageText, out var id))
                    message = id;
                else
                    return named.Count > 1
                        ? $"message \"{messageText}\": every protocol has one; name the protocol too"
                        : $"message \"{messageText}\": not a message name (CLOCK_RATE_SET...), nor an id with a protocol";
            }
        }

        var status = ScmiStatus.BUSY;
        if (Text(request, "status") is { } statusText)
        {
            if (!Enum.TryParse(statusText, ignoreCase: true, out status) || !Enum.IsDefined(status))
                return $"status {statusText}: one of {string.Join(", ", Enum.GetNames<ScmiStatus>().Where(n => n != "SUCCESS"))}";
        }

        uint? resource = null;
        if (kind == FaultKind.Sensor)
        {
            var sensor = Text(request, "sensor") ?? (Number(request, "sensor") is { } n ? n.ToString(CultureInfo.InvariantCulture) : null);
            if (sensor is null)
                return "sensor: give the sensor (a name or an id)";
            if (ResourceId(platform.Model.Sensors.Select(x => x.Name).ToList(), sensor, "sensor", out var id) is { } problem)
                return problem;
            resource = (uint)id;
        }
        else if (request.TryGetProperty("resource", out var resourceValue))
        {
            if (resourceValue.ValueKind == JsonValueKind.String && kind == FaultKind.Flood && protocol is { } p
                && ScmiPlatformNames(platform, (ScmiProtocolId)p) is { } names)
            {
                if (ResourceId(names, resourceValue.GetString()!, "resource", out var id) is { } problem)
                    return problem;
                resource = (uint)id;
            }
            else if (resourceValue.ValueKind == JsonValueKind.Number && resourceValue.TryGetUInt32(out var number))
                resource = number;
            else
                return $"resource {resourceValue}: a resource id (a number; for a flood, or a name)";
        }

        var rampMs = Number(request, "ramp_ms");
        spec = new FaultSpec(kind, agent, protocol, message)
        {
            Status = status,
            Delay = TimeSpan.FromMilliseconds(Number(request, "delay_ms") ?? rampMs ?? 0),
            Jitter = TimeSpan.FromMilliseconds(Number(request, "jitter_ms") ?? 0),
            Count = Number(request, "count") is { } count ? (int)Math.Clamp(count, int.MinValue, int.MaxValue) : null,
            Probability = Number(request, "probability") ?? 1.0,
            Seed = (int)(Number(request, "seed") ?? 0),
            Resource = resource,
            Bytes = (int)Math.Clamp(Number(request, "bytes") ?? 4, int.MinValue, int.MaxValue),
            Rate = Number(request, "rate") ?? 100,
            Value = (long)(Number(request, "value") ?? 0),
            RampTo = Number(request, "ramp_to") is { } to ? (long)to : null,
        };
        if (kind is FaultKind.Delay or FaultKind.Late or FaultKind.HoldDelayed && Number(request, "delay_ms") is null)
            return $"{kindText}: give delay_ms";
        if (kind == FaultKind.Sensor && Number(request, "value") is null)
            return "sensor: give value (in the sensor's own units and exponent)";
        return spec.Problem();
    }

    /// <summary>The names of a protocol's resources, for a flood's resource by name; null when the protocol has no resources.</summary>
    private static IReadOnlyList<string>? ScmiPlatformNames(ScmiPlatform platform, ScmiProtocolId protocol)
    {
        var model = platform.Model;
        return protocol switch
        {
            ScmiProtocolId.PERF => [.. model.PerfDomains.Select(d => d.Name)],
            ScmiProtocolId.CLOCK => [.. model.Clocks.Select(c => c.Name)],
            ScmiProtocolId.SENSOR => [.. model.Sensors.Select(x => x.Name)],
            ScmiProtocolId.POWER => [.. model.PowerDomains.Select(d => d.Name)],
            ScmiProtocolId.RESET => [.. model.ResetDomains.Select(d => d.Name)],
            ScmiProtocolId.VOLTAGE => [.. model.VoltageDomains.Select(d => d.Name)],
            ScmiProtocolId.POWERCAP => [.. model.PowercapDomains.Select(d => d.Name)],
            _ => null,
        };
    }

    /// <summary>A resource by name or by the model's id; the problem, naming the value and the choices, when there is none.</summary>
    private static string? ResourceId(IReadOnlyList<string> names, string text, string what, out int id)
    {
        id = names.ToList().IndexOf(text);
        if (id >= 0)
            return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id < names.Count)
            return null;
        var choices = names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(12)) + ", ...";
        return $"{what} \"{text}\": the model has no such {what} ({choices})";
    }

    private static int? AgentId(ScmiPlatform platform, string agent)
    {
        var model = platform.Model.Agents;
        var index = model.ToList().FindIndex(a => a.Name == agent);
        if (index >= 0)
            return index + 1;
        return int.TryParse(agent, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= model.Count ? n : null;
    }

    private static string UnknownAgent(ScmiPlatform platform, string agent) =>
        $"agent \"{agent}\": the model has no such agent ({string.Join(", ", platform.Model.Agents.Select(a => a.Name))})";

    /// <summary>The platform events <c>inject event</c> takes.</summary>
    public static IReadOnlyList<string> Events => FaultNames.Events;

    /// <summary>
    /// <c>inject event</c>: a change or event the platform makes itself, now (docs/scenarios.md).
    /// Answers what was done and how many channels were told.
    /// </summary>
    public static string Event(ScmiPlatform platform, JsonElement request)
    {
        var name = Text(request, "event");
        var model = platform.Model;
        try
        {
            int sent;
            string done;
            switch (name)
            {
                case "perf-limits":
                {
                    var domain = Resource(model.PerfDomains.Select(d => d.Name).ToList(), request, "domain", "performance domain");
                    var min = (uint)Required(request, "min");
                    var max = (uint)Required(request, "max");
                    sent = platform.InjectPerfLimits(domain, min, max);
                    done = $"limits of {model.PerfDomains[domain].Name} now {min}..{max}";
                    break;
                }

                case "clock-rate":
                {
                    var clock = Resource(model.Clocks.Select(c => c.Name).ToList(), request, "clock", "clock");
                    var rate = (ulong)Required(request, "rate");
                    sent = platform.InjectClockRate(clock, rate);
                    done = $"clock {model.Clocks[clock].Name} now at {rate} Hz (or the closest rate it has)";
                    break;
                }

                case "power-state":
                {
                    var domain = Resource(model.PowerDomains.Select(d => d.Name).ToList(), request, "domain", "power domain");
                    var state = Text(request, "state");
                    if (state is not ("on" or "off"))
                        throw new ArgumentException($"state {state ?? "(none)"}: on or off");
                    sent = platform.InjectPowerState(domain, state == "on");
                    done = $"power domain {model.PowerDomains[domain].Name} turned {state}";
                    break;
                }

                case "reset":
                {
                    var domain = Resource(model.ResetDomains.Select(d => d.Name).ToList(), request, "domain", "reset domain");
                    sent = platform.InjectReset(domain);
                    done = $"reset domain {model.ResetDomains[domain].Name} reset by the platform";
                    break;
                }

                case "system-power":
                {
                    var stateText = Text(request, "state") ?? "shutdown";
                    uint state = stateText switch
                    {
                        "shutdown" => 0, "cold-reset" => 1, "warm-reset" => 2, "suspend" => 4,
                        _ => throw new ArgumentException($"state {stateText}: shutdown, cold-reset, warm-reset or suspend"),
                    };
                    var forced = request.TryGetProperty("forced", out var f) && f.ValueKind == JsonValueKind.True;
                    var agent = OptionalAgent(platform, request);
                    sent = platform.InjectSystemPower(state, !forced, (uint)(Number(request, "timeout_ms") ?? 0), agent);
                    done = $"{(forced ? "forced" : "graceful")} {stateText} requested by the platform";
                    break;
                }

                case "error":
                {
                    var about = Text(request, "about") is { } a ? AgentId(platform, a) ?? throw new ArgumentException(UnknownAgent(platform, a)) : 0;
                    var fatal = request.TryGetProperty("fatal", out var f) && f.ValueKind == JsonValueKind.True;
                    List<ulong> reports = [];
                    if (request.TryGetProperty("reports", out var list) && list.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in list.EnumerateArray())
                            reports.Add(item.TryGetUInt64(out var r) ? r : throw new ArgumentException($"report {item}: a 64-bit number"));
                    }

                    sent = platform.InjectErrorEvent(about, fatal, reports, OptionalAgent(platform, request));
                    done = $"{(fatal ? "fatal" : "non-fatal")} BASE_ERROR_EVENT about agent {about} with {reports.Count} report(s)";
                    break;
                }

                case "revoke" or "allow":
                {
                    var agent = OptionalAgent(platform, request);
                    if (agent == 0)
                        throw new ArgumentException($"{name}: give the agent");
                    var device = Resource(model.Devices.Select(d => d.Name).ToList(), request, "device", "device");
                    ScmiProtocolId? protocol = null;
                    if (Text(request, "protocol") is { } p)
                        protocol = ScmiCatalog.Find(p)?.Id ?? throw new ArgumentException($"protocol \"{p}\": not an SCMI protocol");
                    platform.InjectPermissions(agent, device, protocol, name == "allow");
                    sent = 0;
                    done = $"agent {model.Agents[agent - 1].Name} {(name == "allow" ? "allowed" : "denied")} device {model.Devices[device].Name}" + (protocol is { } pr ? $" ({pr})" : "");
                    break;
                }

                default:
                    return ControlServer.Error($"event {name ?? "(none)"}: one of {string.Join(", ", Events)}");
            }

            return ControlServer.Json(w =>
            {
                w.WriteBoolean("ok", true);
                w.WriteString("done", done);
                w.WriteNumber("notified", sent);
            });
        }
        catch (ArgumentException e)
        {
            return ControlServer.Error(e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static int OptionalAgent(ScmiPlatform platform, JsonElement request) =>
        Text(request, "agent") is { } a ? AgentId(platform, a) ?? throw new ArgumentException(UnknownAgent(platform, a)) : 0;

    private static int Resource(IReadOnlyList<string> names, JsonElement request, string key, string what)
    {
        var text = Text(request, key) ?? (Number(request, key) is { } n ? n.ToString(CultureInfo.InvariantCulture) : null)
            ?? throw new ArgumentException($"give the {what} ({key})");
        return ResourceId(names, text, what, out var id) is { } problem ? throw new ArgumentException(problem) : id;
    }

    private static double Required(JsonElement request, string key) =>
        Number(request, key) is { } n && n >= 0 ? n : throw new ArgumentException($"give {key}, a number at least 0");

    private static bool TryByte(string text, out byte value)
    {
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return byte.TryParse(hex ? text.AsSpan(2) : text, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string? Text(JsonElement request, string name) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement request, string name) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
