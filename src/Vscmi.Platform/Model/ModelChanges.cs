using System.Globalization;

namespace Vscmi.Platform.Model;

/// <summary>
/// What replacing a running model with another would change, or why it may not (a live reload,
/// docs/operations.md "Reload rules"). Ids are what agents hold on to: every resource keeps its
/// name and place, existing agents keep theirs, and a connected agent keeps its view. Everything
/// else (sensor sources, latencies, OPPs, ranges, trust, devices, new agents at the end) may change.
/// </summary>
/// <param name="Changes">One line per change, for the log and the reply ("sensor 'cpu_temp': source sine(...) → constant(40000)").</param>
/// <param name="Refusal">Null when the new model may be applied; otherwise why not, naming the agent and resource.</param>
public sealed record ModelChanges(IReadOnlyList<string> Changes, string? Refusal)
{
    /// <summary>Compares <paramref name="running"/> with <paramref name="next"/>.</summary>
    /// <param name="running">The model in force.</param>
    /// <param name="next">The model that would replace it.</param>
    /// <param name="connected">Agent ids (1-based) with an open session: their views may not change.</param>
    public static ModelChanges Compare(DeviceModel running, DeviceModel next, IReadOnlySet<int> connected)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(connected);
        var changes = new List<string>();
        var refusal = Refuse(running, next, connected);
        if (refusal is not null)
            return new ModelChanges(changes, refusal + "; restart the daemon to apply it");

        if (running.Platform != next.Platform)
            changes.Add($"platform: {running.Platform.Vendor}/{running.Platform.SubVendor} v{running.Platform.ImplementationVersion} → {next.Platform.Vendor}/{next.Platform.SubVendor} v{next.Platform.ImplementationVersion}");
        if (running.SystemPower != next.SystemPower)
            changes.Add($"system_power: warm_reset {running.SystemPower.WarmReset} → {next.SystemPower.WarmReset}, suspend {running.SystemPower.Suspend} → {next.SystemPower.Suspend}");
        for (var i = 0; i < next.Agents.Count; i++)
        {
            var agent = next.Agents[i];
            if (i >= running.Agents.Count)
            {
                changes.Add($"agent '{agent.Name}' added (agent id {i + 1}{(agent.Trusted ? ", trusted" : "")})");
                continue;
            }

            var old = running.Agents[i];
            if (old.Trusted != agent.Trusted)
                changes.Add($"agent '{agent.Name}': trusted {Lower(old.Trusted)} → {Lower(agent.Trusted)}");
            foreach (var kind in Enum.GetValues<ResourceKind>())
            {
                var (before, after) = (ViewNames(running, old, kind), ViewNames(next, agent, kind));
                if (!before.SequenceEqual(after))
                    changes.Add($"agent '{agent.Name}': {KindName(kind)} seen {string.Join(",", before)} → {string.Join(",", after)}");
            }

            if (old.CommandsPerSecond != agent.CommandsPerSecond || old.CommandBurst != agent.CommandBurst)
                changes.Add($"agent '{agent.Name}': command rate {RateText(old)} → {RateText(agent)}");
            if (old.TraceBufferBytes != agent.TraceBufferBytes)
                changes.Add($"agent '{agent.Name}': trace_buffer_bytes {old.TraceBufferBytes} → {agent.TraceBufferBytes}");
            if (old.MaxConnections != agent.MaxConnections || old.AllowUnsealedMemory != agent.AllowUnsealedMemory)
                changes.Add($"agent '{agent.Name}': max_connections {old.MaxConnections} → {agent.MaxConnections}, allow_unsealed_memory {Lower(old.AllowUnsealedMemory)} → {Lower(agent.AllowUnsealedMemory)} (for connections made from now on)");
            if (old.Socket != agent.Socket || old.VhostUser != agent.VhostUser)
                changes.Add($"agent '{agent.Name}': its sockets in the model changed (sockets already served stay until a restart or 'vscmi ctl vm')");
        }

        Each(changes, "perf", running.PerfDomains, next.PerfDomains, p => p.Name, p =>
            [("opps", string.Join(" ", p.Opps.Select(o => $"{o.Level}:{o.FrequencyKhz}kHz:{o.PowerCost}:{o.LatencyUs}us"))), ("sustained", $"{p.SustainedLevel}/{p.SustainedFrequencyKhz}kHz"),
             ("rate_limit_us", Text(p.RateLimitUs)), ("initial_level", Text(p.InitialLevel)), ("backend", Backend(p.Backend))]);
        Each(changes, "clock", running.Clocks, next.Clocks, c => c.Name, c =>
            [("rates", c.Rates is { } rates ? string.Join(",", rates) : $"{c.Range!.Min}..{c.Range.Max} step {c.Range.Step}"), ("initial_rate", Text(c.InitialRate)),
             ("enabled", Lower(c.InitiallyEnabled)), ("parents", string.Join(",", c.ParentIds)), ("initial_parent", Text(c.InitialParent)),
             ("enable_delay_us", Text(c.EnableDelayUs)), ("async_latency_us", Text(c.AsyncLatencyUs)), ("backend", Backend(c.Backend))]);
        Each(changes, "sensor", running.Sensors, next.Sensors, s => s.Name, s =>
            [("unit", $"{s.UnitType}e{s.UnitExponent}"), ("update_interval_s", Text(s.UpdateIntervalSeconds)), ("source", Describe(s.Source)), ("async_latency_us", Text(s.AsyncLatencyUs)),
             ("axes", string.Join(" ", s.Axes.Select(a => $"{a.Name}:{Describe(a.Source)}"))), ("enabled", Lower(s.InitiallyEnabled))]);
        Each(changes, "power_domain", running.PowerDomains, next.PowerDomains, p => p.Name, p =>
            [("on", Lower(p.InitiallyOn)), ("parent", Text(p.ParentId)), ("async_latency_us", Text(p.AsyncLatencyUs)), ("backend", Backend(p.Backend))]);
        Each(changes, "reset_domain", running.ResetDomains, next.ResetDomains, r => r.Name, r => [("latency_us", Text(r.LatencyUs)), ("async", Lower(r.Async))]);
        Each(changes, "voltage_domain", running.VoltageDomains, next.VoltageDomains, v => v.Name, v =>
            [("levels", v.Levels is { } levels ? string.Join(",", levels) : $"{v.Range!.Min}..{v.Range.Max} step {v.Range.Step}"), ("initial", $"{v.InitialLevel} {(v.InitiallyOn ? "on" : "off")}"),
             ("async_latency_us", Text(v.AsyncLatencyUs)), ("backend", Backend(v.Backend))]);
        Each(changes, "powercap", running.PowercapDomains, next.PowercapDomains, p => p.Name, p =>
            [("cap", $"{p.MinCap}..{p.MaxCap} step {p.CapStep} initial {p.InitialCap}"), ("pai", $"{p.MinPai}..{p.MaxPai} step {p.PaiStep} initial {p.InitialPai}"),
             ("sustainable_power", Text(p.SustainablePower)), ("accuracy", Text(p.Accuracy)), ("async_latency_us", Text(p.AsyncLatencyUs)), ("backend", Backend(p.Backend))]);
        if (running.Host != next.Host)
            changes.Add($"host: sysfs {running.Host.Sysfs}, debugfs {running.Host.Debugfs} → sysfs {next.Host.Sysfs}, debugfs {next.Host.Debugfs}");
        for (var i = 0; i < next.Devices.Count; i++)
        {
            var (before, after) = (DeviceText(running, running.Devices[i]), DeviceText(next, next.Devices[i]));
            if (before != after)
                changes.Add($"device '{next.Devices[i].Name}': {before} → {after}");
        }

        return new ModelChanges(changes, null);
    }

    private static string RateText(AgentModel agent) => agent.CommandsPerSecond == 0 ? "no limit" : $"{agent.CommandsPerSecond}/s (burst {agent.CommandBurst})";

    // What may not change while agents hold ids: the release (negotiated versions), every
    // resource's name and place, existing agents, and the views of connected agents.
    private static string? Refuse(DeviceModel running, DeviceModel next, IReadOnlySet<int> connected)
    {
        if (running.Release != next.Release)
            return $"scmi_release {running.Release.Name} → {next.Release.Name} would change the protocols and layouts every agent negotiated";
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            var (before, after) = (Names(running, kind), Names(next, kind));
            if (before.SequenceEqual(after))
                continue;
            var at = 0;
            while (at < before.Count && at < after.Count && before[at] == after[at])
                at++;
            var what = at < before.Count
                ? $"{KindName(kind)} {at} '{before[at]}' would {(at < after.Count ? $"become '{after[at]}'" : "be removed")}"
                : $"{KindName(kind)} '{after[at]}' would be added as {KindName(kind)} {at}";
            var seenBy = at < before.Count ? SeenBy(running, kind, at, connected) : null;
            return $"{what}: resource ids and counts cannot change while the daemon runs" +
                (seenBy is null ? "" : $" (agent '{seenBy.Value.Name}', connected, sees it as its {KindName(kind)} {seenBy.Value.Local})");
        }

        if (running.Pinctrl is { } pins && next.Pinctrl is { } nextPins)
        {
            for (var g = 0; g < pins.Groups.Count; g++)
            {
                if (!pins.Groups[g].Pins.SequenceEqual(nextPins.Groups[g].Pins))
                    return $"pin group '{pins.Groups[g].Name}' would change its pins";
            }

            for (var f = 0; f < pins.Functions.Count; f++)
            {
                if (!pins.Functions[f].Groups.SequenceEqual(nextPins.Functions[f].Groups) || pins.Functions[f].Gpio != nextPins.Functions[f].Gpio)
                    return $"pin function '{pins.Functions[f].Name}' would change its groups";
            }
        }

        for (var i = 0; i < running.PerfDomains.Count; i++)
        {
            if (running.PerfDomains[i].Opps.Count != next.PerfDomains[i].Opps.Count)
                return $"perf {i} '{running.PerfDomains[i].Name}' would have {next.PerfDomains[i].Opps.Count} OPPs instead of {running.PerfDomains[i].Opps.Count}: agents hold its level list";
        }

        for (var i = 0; i < running.Sensors.Count; i++)
        {
            if (running.Sensors[i].TripPoints != next.Sensors[i].TripPoints)
                return $"sensor {i} '{running.Sensors[i].Name}' would have {next.Sensors[i].TripPoints} trip points instead of {running.Sensors[i].TripPoints}";
            if (running.Sensors[i].Axes.Count != next.Sensors[i].Axes.Count)
                return $"sensor {i} '{running.Sensors[i].Name}' would have {next.Sensors[i].Axes.Count} axes instead of {running.Sensors[i].Axes.Count}: agents hold its axis descriptors";
        }

        if (!running.Devices.Select(d => d.Name).SequenceEqual(next.Devices.Select(d => d.Name)))
            return $"devices {string.Join(",", running.Devices.Select(d => d.Name))} would become {string.Join(",", next.Devices.Select(d => d.Name))}: device ids cannot change while the daemon runs";

        for (var i = 0; i < running.Agents.Count; i++)
        {
            var name = running.Agents[i].Name;
            if (i >= next.Agents.Count || next.Agents[i].Name != name)
            {
                var instead = i < next.Agents.Count ? $"agent id {i + 1} would be '{next.Agents[i].Name}'" : "it is not in the new model";
                return $"agent '{name}' (agent id {i + 1}) would go: {instead}; agents can only be added (at the end) while the daemon runs";
            }

            if (!connected.Contains(i + 1))
                continue;
            foreach (var kind in Enum.GetValues<ResourceKind>())
            {
                var (before, after) = (ViewNames(running, running.Agents[i], kind), ViewNames(next, next.Agents[i], kind));
                if (!before.SequenceEqual(after))
                {
                    var at = 0;
                    while (at < before.Count && at < after.Count && before[at] == after[at])
                        at++;
                    var change = at < before.Count ? $"its {KindName(kind)} {at} '{before[at]}' would {(at < after.Count ? $"become '{after[at]}'" : "go")}" : $"it would see {KindName(kind)} '{after[at]}' as {KindName(kind)} {at}";
                    return $"agent '{name}' is connected and its view would change: {change}";
                }
            }
        }

        return null;
    }

    private static void Each<T>(List<string> changes, string kind, IReadOnlyList<T> running, IReadOnlyList<T> next, Func<T, string> name, Func<T, (string Field, string Value)[]> fields)
    {
        for (var i = 0; i < running.Count; i++)
        {
            var (before, after) = (fields(running[i]), fields(next[i]));
            var differences = before.Zip(after).Where(p => p.First.Value != p.Second.Value).Select(p => $"{p.First.Field} {p.First.Value} → {p.Second.Value}").ToList();
            if (differences.Count > 0)
                changes.Add($"{kind} '{name(next[i])}': {string.Join("; ", differences)}");
        }
    }

    /// <summary>A sensor source as the model file would say it.</summary>
    public static string Describe(SensorSourceModel source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.Kind switch
        {
            SensorSourceKind.Constant => $"constant({Text(source.Value)})",
            SensorSourceKind.Sine => $"sine(base {Text(source.Base)}, amplitude {Text(source.Amplitude)}, period {Text(source.PeriodSeconds)} s)",
            SensorSourceKind.Ramp => $"ramp(start {Text(source.Start)}, {Text(source.SlopePerSecond)}/s)",
            SensorSourceKind.RandomWalk => $"random_walk({Text(source.Min)}..{Text(source.Max)} step {Text(source.Step)}, seed {source.Seed})",
            SensorSourceKind.Hwmon => $"hwmon({source.Device} {source.Channel})",
            SensorSourceKind.Thermal => $"thermal({source.Device})",
            SensorSourceKind.Iio => $"iio({source.Device} {source.Channel})",
            SensorSourceKind.PowercapEnergy => $"powercap({source.Device})",
            _ => $"file({source.Path} × {Text(source.Scale)})",
        };
    }

    /// <summary>A host backend in a change line: "cpufreq policy0 (control)", or "none".</summary>
    private static string Backend(HostBinding? binding) => binding is null ? "none"
        : $"{binding.Kind.ToString().ToLowerInvariant()} {binding.Target}{(binding.Consumer is null ? "" : $" consumer {binding.Consumer}")}{(binding.Control ? " (control)" : " (read-only)")}";

    private static string DeviceText(DeviceModel model, DeviceGroupModel device) =>
        string.Join(" ", device.Resources.OrderBy(r => r.Key).Select(r => $"{KindName(r.Key)}:{string.Join(",", r.Value.Select(id => Names(model, r.Key)[id]))}"));

    // The first connected agent that sees a global resource, and its own id for it.
    private static (string Name, int Local)? SeenBy(DeviceModel model, ResourceKind kind, int global, IReadOnlySet<int> connected)
    {
        foreach (var id in connected.Order())
        {
            if (id < 1 || id > model.Agents.Count)
                continue;
            var agent = model.Agents[id - 1];
            var local = agent.Views.TryGetValue(kind, out var view) ? Array.IndexOf(view, global) : global;
            if (local >= 0)
                return (agent.Name, local);
        }

        return null;
    }

    private static List<string> ViewNames(DeviceModel model, AgentModel agent, ResourceKind kind)
    {
        var names = Names(model, kind);
        return agent.Views.TryGetValue(kind, out var view) ? [.. view.Select(id => names[id])] : names;
    }

    private static List<string> Names(DeviceModel model, ResourceKind kind) => kind switch
    {
        ResourceKind.Perf => [.. model.PerfDomains.Select(p => p.Name)],
        ResourceKind.Clock => [.. model.Clocks.Select(c => c.Name)],
        ResourceKind.Sensor => [.. model.Sensors.Select(s => s.Name)],
        ResourceKind.PowerDomain => [.. model.PowerDomains.Select(p => p.Name)],
        ResourceKind.ResetDomain => [.. model.ResetDomains.Select(r => r.Name)],
        ResourceKind.VoltageDomain => [.. model.VoltageDomains.Select(v => v.Name)],
        ResourceKind.Powercap => [.. model.PowercapDomains.Select(p => p.Name)],
        ResourceKind.Pin => [.. model.Pinctrl?.Pins ?? []],
        ResourceKind.PinGroup => [.. model.Pinctrl?.Groups.Select(g => g.Name) ?? []],
        _ => [.. model.Pinctrl?.Functions.Select(f => f.Name) ?? []],
    };

    private static string KindName(ResourceKind kind) => kind switch
    {
        ResourceKind.Perf => "perf domain",
        ResourceKind.Clock => "clock",
        ResourceKind.Sensor => "sensor",
        ResourceKind.PowerDomain => "power domain",
        ResourceKind.ResetDomain => "reset domain",
        ResourceKind.VoltageDomain => "voltage domain",
        ResourceKind.Powercap => "powercap domain",
        ResourceKind.Pin => "pin",
        ResourceKind.PinGroup => "pin group",
        _ => "pin function",
    };

    private static string Lower(bool value) => value ? "true" : "false";

    private static string Text<T>(T? value)
        where T : struct, IFormattable => value?.ToString(null, CultureInfo.InvariantCulture) ?? "none";

    private static string Text<T>(T value)
        where T : struct, IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
