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
        var id = platform.Faults.Add(spec!);
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
        var what = spec.Kind switch
        {
            FaultKind.Status => $"status {spec.Status}",
            FaultKind.Delay => $"delay {spec.Delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms" +
                (spec.Jitter > TimeSpan.Zero ? $" + up to {spec.Jitter.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms" : ""),
            _ => "drop (no reply)",
        };
        var message = spec.Protocol is { } p
            ? spec.Message is { } m ? ScmiCatalog.FindMessage(p, m)?.Name ?? $"protocol 0x{p:X2} message 0x{m:X2}" : $"every {ScmiCatalog.Find(p)?.ShortName ?? $"0x{p:X2}"} command"
            : "every command";
        var agent = spec.Agent is { } a ? $"{a}'s" : "every agent's";
        var how = (spec.Count is { } n ? $", {n} time(s)" : "") + (spec.Probability < 1 ? $", with probability {spec.Probability.ToString(CultureInfo.InvariantCulture)} (seed {spec.Seed})" : "");
        return $"{what} to {agent} {message}{how}";
    }

    private static string? Parse(ScmiPlatform platform, JsonElement request, out FaultSpec? spec)
    {
        spec = null;
        var kindText = Text(request, "kind");
        FaultKind kind;
        switch (kindText)
        {
            case "status": kind = FaultKind.Status; break;
            case "delay": kind = FaultKind.Delay; break;
            case "drop": kind = FaultKind.Drop; break;
            default: return $"kind {kindText ?? "(none)"}: one of status, delay, drop";
        }

        var agent = Text(request, "agent");
        if (agent is not null)
        {
            var model = platform.Model.Agents;
            var match = model.FirstOrDefault(a => a.Name == agent)?.Name
                ?? (int.TryParse(agent, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= model.Count ? model[n - 1].Name : null);
            if (match is null)
                return $"agent \"{agent}\": the model has no such agent ({string.Join(", ", model.Select(a => a.Name))})";
            agent = match;
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
            // A message by name (CLOCK_RATE_SET), or by id within the protocol given.
            var named = ScmiCatalog.Protocols.Where(p => protocol is null || (byte)p.Id == protocol)
                .SelectMany(p => p.Messages.Select(m => (Protocol: p, Message: m)))
                .Where(x => string.Equals(x.Message.Name, messageText, StringComparison.OrdinalIgnoreCase)).ToList();
            if (named.Count == 1)
                (protocol, message) = ((byte)named[0].Protocol.Id, named[0].Message.Id);
            else if (protocol is not null && TryByte(messageText, out var id))
                message = id;
            else
                return named.Count > 1
                    ? $"message \"{messageText}\": every protocol has one; name the protocol too"
                    : $"message \"{messageText}\": not a message name (CLOCK_RATE_SET...), nor an id with a protocol";
        }

        var status = ScmiStatus.BUSY;
        if (Text(request, "status") is { } statusText)
        {
            if (!Enum.TryParse(statusText, ignoreCase: true, out status) || !Enum.IsDefined(status))
                return $"status {statusText}: one of {string.Join(", ", Enum.GetNames<ScmiStatus>().Where(n => n != "SUCCESS"))}";
        }

        spec = new FaultSpec(kind, agent, protocol, message)
        {
            Status = status,
            Delay = TimeSpan.FromMilliseconds(Number(request, "delay_ms") ?? 0),
            Jitter = TimeSpan.FromMilliseconds(Number(request, "jitter_ms") ?? 0),
            Count = Number(request, "count") is { } count ? (int)Math.Clamp(count, int.MinValue, int.MaxValue) : null,
            Probability = Number(request, "probability") ?? 1.0,
            Seed = (int)(Number(request, "seed") ?? 0),
        };
        if (kind == FaultKind.Delay && Number(request, "delay_ms") is null)
            return "delay: give delay_ms";
        return spec.Problem();
    }

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
