using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Linux;
using Vscmi.VhostUser;

namespace Vscmi.Cli.Control;

/// <summary>
/// What the control socket (and SIGHUP) can do to a running <c>vscmi serve</c> (docs/control.md):
/// report status, reload the model file, add or remove a VM's vhost-user socket (for an agent of
/// the model or a new one) while the other VMs go on. Requests are serialised; the data plane
/// never waits on them. What was added at run time is kept in the state file's "daemon" part, so
/// a restarted daemon serves those VMs again before the state is restored.
/// </summary>
internal sealed partial class DaemonControl : IAsyncDisposable
{
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly List<VhostUserBackend> _vms;
    private readonly ILogger _logger;
    private readonly ScmiPlatform _platform;
    private readonly ILoggerFactory _loggers;
    private readonly Vscmi.Platform.State.StateKeeper? _keeper;
    private readonly string? _configPath;
    private readonly SystemdNotifier? _systemd;
    // Added at run time, persisted in the state file: agents not in the model file (name and the
    // TOML text of their view) and VM sockets added with 'vm add'. Guarded by _added (the state
    // keeper's timer reads them).
    private readonly Lock _added = new();
    private readonly List<RuntimeAgent> _addedAgents;
    private readonly List<RuntimeVm> _addedVms;

    /// <summary>An agent added at run time: its name and view (TOML text, as in an [[agent]] table).</summary>
    public sealed record RuntimeAgent(string Name, string View)
    {
        /// <summary>The agent against <paramref name="model"/>'s resources (its view names them).</summary>
        /// <exception cref="ModelException">The view no longer fits the model.</exception>
        public AgentModel In(DeviceModel model) => ModelLoader.AgentFromText(model, Name, View, $"<view of {Name}>");
    }

    /// <summary>A VM socket added at run time, for an agent by name; <paramref name="Connects"/>: QEMU listens there and the daemon connects.</summary>
    public sealed record RuntimeVm(string Agent, string Path, bool Connects = false);

    /// <summary>serve's <c>--sysfs</c>: where host backends look, over what the model file says.</summary>
    public string? SysfsOverride { get; init; }

    /// <summary>Takes over the VM sockets the daemon serves; keeps the run-time additions in <paramref name="keeper"/>'s file.</summary>

    public DaemonControl(ScmiPlatform platform, ILoggerFactory loggers, IEnumerable<VhostUserBackend> initialVms, Vscmi.Platform.State.StateKeeper? keeper = null,
        string? configPath = null, SystemdNotifier? systemd = null, RuntimeAdditions? restored = null)
    {
        _platform = platform;
        _loggers = loggers;
        _keeper = keeper;
        _vms = [.. initialVms];
        _logger = loggers.CreateLogger("vscmi.control");
        _configPath = configPath;
        _systemd = systemd;
        _addedAgents = [.. restored?.Agents ?? []];
        _addedVms = [];
        _keeper?.DaemonPart = WriteDaemonPart;
    }

    /// <summary>What a previous run added (read from the state file before the platform is built).</summary>
    public sealed record RuntimeAdditions(IReadOnlyList<RuntimeAgent> Agents, IReadOnlyList<RuntimeVm> Vms)
    {
        /// <summary>Reads the state file's "daemon" part; empty when there is none.</summary>
        public static RuntimeAdditions Read(string statePath)
        {
            var agents = new List<RuntimeAgent>();
            var vms = new List<RuntimeVm>();
            if (Vscmi.Platform.State.StateKeeper.ReadDaemonPart(statePath) is { } part)
            {
                foreach (var agent in Array(part, "agents"))
                {
                    if (Text(agent, "name") is { } name && Text(agent, "view") is { } view)
                        agents.Add(new RuntimeAgent(name, view));
                }

                foreach (var vm in Array(part, "vms"))
                {
                    if (Text(vm, "agent") is { } agent && Text(vm, "vhost_user") is { } path)
                        vms.Add(new RuntimeVm(agent, path, Text(vm, "mode") == "connect"));
                }
            }

            return new RuntimeAdditions(agents, vms);
        }

        private static JsonElement[] Array(JsonElement part, string name) =>
            part.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? [.. list.EnumerateArray()] : [];

        /// <summary>The model with the agents added at run time appended (those still valid); each one refused is logged.</summary>
        public DeviceModel AddTo(DeviceModel model, Action<string, string> refused)
        {
            foreach (var agent in Agents)
            {
                try
                {
                    if (model.Agents.All(a => a.Name != agent.Name))
                        model = ModelLoader.WithAgent(model, agent.In(model));
                }
                catch (ModelException e)
                {
                    refused(agent.Name, e.Message);
                }
            }

            return model;
        }
    }

    private DeviceModel Model => _platform.Model;

    /// <summary>Answers one request object with one response line.</summary>
    public async ValueTask<string> HandleAsync(JsonElement request)
    {
        var command = request.TryGetProperty("command", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        await _serial.WaitAsync().ConfigureAwait(false);
        try
        {
            return command switch
            {
                "status" => Status(),
                "vm add" when Text(request, "vhost_user") is not null && Text(request, "vhost_user_client") is not null =>
                    ControlServer.Error("vm add takes \"vhost_user\" (the daemon listens) or \"vhost_user_client\" (QEMU listens), not both"),
                "vm add" => AddVm(Text(request, "name"), Text(request, "vhost_user") ?? Text(request, "vhost_user_client"), Text(request, "view"), Text(request, "view_file"),
                    connects: Text(request, "vhost_user_client") is not null),
                "reload" => Reload("vscmi ctl reload"),
                "vm remove" => await RemoveVmAsync(Text(request, "name")).ConfigureAwait(false),
                "state show" => ControlServer.Json(w =>
                {
                    w.WriteBoolean("ok", true);
                    w.WriteString("state", System.Text.Encoding.UTF8.GetString(_platform.SaveState(_keeper is null ? null : WriteDaemonPart)));
                }),
                "state save" => SaveState(),
                "inject add" => InjectControl.Add(_platform, request),
                "inject list" => InjectControl.List(_platform),
                "inject clear" => InjectControl.Clear(_platform, request),
                "inject event" => InjectControl.Event(_platform, request),
                null => ControlServer.Error($"the request has no \"command\" ({Commands})"),
                _ => ControlServer.Error($"unknown command \"{command}\" ({Commands})"),
            };
        }
        finally
        {
            _serial.Release();
        }
    }

    private const string Commands = "status, reload, vm add, vm remove, state show, state save, inject add, inject list, inject clear, inject event, trace";

    /// <summary>Reloads the model file on SIGHUP (serialised with the control's requests).</summary>
    public async Task ReloadOnSignalAsync()
    {
        await _serial.WaitAsync().ConfigureAwait(false);
        try
        {
            Reload("SIGHUP");
        }
        finally
        {
            _serial.Release();
        }
    }

    /// <summary>Serves again the VM sockets a previous run added (from the state file), those not served already.</summary>
    public void ServeRestored(RuntimeAdditions restored)
    {
        foreach (var vm in restored.Vms)
        {
            if (_vms.Any(v => v.Path == vm.Path))
                continue;
            if (TryAddVm(vm.Agent, vm.Path, null, null, vm.Connects, out _) is { } error)
                LogRestoreVmFailed(_logger, vm.Agent, vm.Path, error);
        }
    }

    private void WriteDaemonPart(Utf8JsonWriter w)
    {
        lock (_added)
        {
            WriteObjects(w, "agents", _addedAgents, ("name", a => a.Name), ("view", a => a.View));
            WriteObjects(w, "vms", _addedVms, ("agent", v => v.Agent), ("vhost_user", v => v.Path), ("mode", v => v.Connects ? "connect" : "listen"));
        }
    }

    private static void WriteObjects<T>(Utf8JsonWriter w, string name, List<T> items, params (string Name, Func<T, string> Value)[] properties)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            foreach (var (property, value) in properties)
                w.WriteString(property, value(item));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // Reads the model file again and applies it when ModelChanges allows; the agents added at run
    // time stay (in their places), the file's new agents come after every existing one.
    private string Reload(string trigger)
    {
        if (_configPath is null)
        {
            LogReloadRefused(_logger, trigger, "the daemon serves the embedded default model (no --config FILE)");
            return ControlServer.Error("the daemon serves the embedded default model (started without --config FILE): there is no file to reload");
        }

        _systemd?.Reloading();
        try
        {
            DeviceModel merged;
            var kept = new List<RuntimeAgent>();
            try
            {
                var file = ModelLoader.LoadFile(_configPath);
                if (SysfsOverride is { } root)
                    file = file with { Host = file.Host.WithSysfs(root) }; // serve --sysfs holds for reloads too
                var agents = new List<AgentModel>();
                foreach (var agent in _platform.Model.Agents)
                {
                    if (file.Agents.FirstOrDefault(a => a.Name == agent.Name) is { } inFile)
                        agents.Add(inFile);
                    else if (RuntimeAgentNamed(agent.Name) is { } added)
                    {
                        agents.Add(added.In(file));
                        kept.Add(added);
                    }
                }

                agents.AddRange(file.Agents.Where(a => agents.All(b => b.Name != a.Name)));
                merged = file with { Agents = agents };
            }
            catch (ModelException e)
            {
                LogReloadRefused(_logger, trigger, e.Message);
                return ControlServer.Error($"reload refused, nothing changed: {e.Message}");
            }

            var before = _platform.Model.Agents.Count;
            var changes = _platform.Reload(merged);
            if (changes.Refusal is { } refusal)
            {
                LogReloadRefused(_logger, trigger, refusal);
                return ControlServer.Error($"reload refused, nothing changed: {refusal}");
            }

            lock (_added)
            {
                _addedAgents.Clear();
                _addedAgents.AddRange(kept);
            }

            foreach (var change in changes.Changes)
                LogReloadChange(_logger, change);
            LogReloaded(_logger, trigger, _configPath, changes.Changes.Count);
            // New agents of the file with a VM socket in the model are served at once.
            for (var id = before + 1; id <= _platform.Model.Agents.Count; id++)
            {
                if (_platform.Model.Agents[id - 1] is { VhostUser: { } path } agent && _vms.All(v => v.AgentId != id))
                    Serve(agent.Name, id, path, connects: false);
            }

            return ControlServer.Json(w =>
            {
                w.WriteBoolean("ok", true);
                w.WriteString("config", _configPath);
                w.WriteStartArray("changes");
                foreach (var change in changes.Changes)
                    w.WriteStringValue(change);
                w.WriteEndArray();
            });
        }
        finally
        {
            _systemd?.Ready($"reloaded {_configPath}");
        }
    }

    private RuntimeAgent? RuntimeAgentNamed(string name)
    {
        lock (_added)
            return _addedAgents.Find(a => a.Name == name);
    }

    private string SaveState()
    {
        if (_keeper is null)
            return ControlServer.Error("the daemon keeps no state file (start it with --state PATH)");
        var wrote = _keeper.SaveNow();
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("path", _keeper.Path);
            w.WriteBoolean("written", wrote);
        });
    }

    // 1-based agent id of the model's agent called name; 0 when there is none.
    private int AgentIdOf(string name)
    {
        for (var i = 0; i < Model.Agents.Count; i++)
        {
            if (Model.Agents[i].Name == name)
                return i + 1;
        }

        return 0;
    }

    private static string? Text(JsonElement request, string name) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private string Status()
    {
        var sessions = _platform.SessionStatuses();
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("vendor", Model.Platform.Vendor);
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteNumber("lock_contentions", _platform.LockContentions);
            w.WriteStartArray("agents");
            for (var i = 0; i < Model.Agents.Count; i++)
            {
                var agent = Model.Agents[i];
                var id = i + 1;
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("name", agent.Name);
                w.WriteBoolean("trusted", agent.Trusted);
                if (_vms.Find(v => v.AgentId == id) is { } vm)
                {
                    w.WriteString("vhost_user", vm.Path);
                    w.WriteString("vhost_user_mode", vm.Connects ? "connect" : "listen");
                }
                else
                {
                    w.WriteNull("vhost_user");
                }
                w.WriteNumber("sessions", sessions.Count(s => s.AgentId == id));
                w.WriteNumber("sessions_closed", _platform.SessionsClosed(id));
                w.WriteNumber("commands", sessions.Where(s => s.AgentId == id).Sum(s => s.CommandsHandled));
                w.WriteNumber("events_waiting", sessions.Where(s => s.AgentId == id).Sum(s => s.EventsWaiting));
                w.WriteNumber("notifications_dropped", sessions.Where(s => s.AgentId == id).Sum(s => s.NotificationsDropped));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private string AddVm(string? name, string? path, string? view, string? viewFile, bool connects)
    {
        if (name is null || path is null)
            return ControlServer.Error("vm add needs \"name\" (the agent) and \"vhost_user\" or \"vhost_user_client\" (the socket path)");
        if (TryAddVm(name, path, view, viewFile, connects, out var agentId) is { } error)
            return ControlServer.Error(error);
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("name", name);
            w.WriteNumber("agent_id", agentId);
            w.WriteString("vhost_user", path);
        });
    }

    // Serves a VM socket for an agent, adding the agent first when the model lacks it; null when
    // it is served, otherwise why not.
    private string? TryAddVm(string name, string path, string? view, string? viewFile, bool connects, out int agentId)
    {
        agentId = AgentIdOf(name);
        if (agentId != 0 && view is not null)
            return $"agent \"{name}\" is in the model already; its view is the model's (leave out the view, or pick a new name)";
        var id = agentId;
        if (agentId != 0 && _vms.Find(v => v.AgentId == id) is { } existing)
            return $"agent \"{name}\" already has a VM socket at {existing.Path}";
        if (_vms.Find(v => v.Path == path) is { } taken)
            return $"{path} is served already (for agent {Model.Agents[taken.AgentId - 1].Name})";
        if (agentId == 0)
        {
            // A new agent: the next agent id, with the view given (default: untrusted, sees everything).
            try
            {
                var agent = ModelLoader.AgentFromText(Model, name, view ?? "", viewFile ?? "<view>");
                if (_platform.Reload(ModelLoader.WithAgent(Model, agent)).Refusal is { } refusal)
                    return $"cannot add agent \"{name}\": {refusal}";
            }
            catch (ModelException e)
            {
                return $"cannot add agent \"{name}\": {e.Message}";
            }

            agentId = Model.Agents.Count;
            lock (_added)
                _addedAgents.Add(new RuntimeAgent(name, view ?? ""));
            LogAgentAdded(_logger, name, agentId);
        }

        if (Serve(name, agentId, path, connects) is { } error)
            return error;
        lock (_added)
        {
            _addedVms.RemoveAll(v => v.Agent == name);
            _addedVms.Add(new RuntimeVm(name, path, connects));
        }

        return null;
    }

    // Serves a VM socket for an agent (listening on it, or connecting to QEMU there); null when it
    // does, otherwise why not.
    private string? Serve(string name, int agentId, string path, bool connects)
    {
        VhostUserBackend backend;
        try
        {
            backend = connects
                ? VhostUserBackend.Connect(_platform, agentId, path, _loggers.CreateLogger("vscmi.vhost-user"))
                : VhostUserBackend.Listen(_platform, agentId, path, _loggers.CreateLogger("vscmi.vhost-user"));
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            return $"cannot listen for vhost-user on {path}: {e.Message}";
        }

        backend.Start();
        _vms.Add(backend);
        LogVmAdded(_logger, name, path);
        return null;
    }

    private async Task<string> RemoveVmAsync(string? name)
    {
        if (name is null)
            return ControlServer.Error("vm remove needs \"name\"");
        if (_vms.Find(v => v.AgentId == AgentIdOf(name)) is not { } backend)
            return ControlServer.Error($"no VM socket is served for \"{name}\"");
        _vms.Remove(backend);
        lock (_added)
            _addedVms.RemoveAll(v => v.Agent == name);
        await backend.DisposeAsync().ConfigureAwait(false);
        // The VM is gone: what it asked for (clock enables, power domains, performance levels) no longer counts.
        _platform.ReleaseAgent(backend.AgentId);
        LogVmRemoved(_logger, name, backend.Path);
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("name", name);
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _vms)
            await backend.DisposeAsync().ConfigureAwait(false);
        _vms.Clear();
        _serial.Dispose();
    }

    [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "control: agent {Agent} added at run time (agent id {AgentId})")]
    private static partial void LogAgentAdded(ILogger logger, string agent, int agentId);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "control: the VM socket a previous run added for {Agent} at {Path} is not served: {Reason}")]
    private static partial void LogRestoreVmFailed(ILogger logger, string agent, string path, string reason);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "reload ({Trigger}): {Path} applied, {Count} change(s)")]
    private static partial void LogReloaded(ILogger logger, string trigger, string path, int count);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "reload: {Change}")]
    private static partial void LogReloadChange(ILogger logger, string change);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "reload ({Trigger}) refused, nothing changed: {Reason}")]
    private static partial void LogReloadRefused(ILogger logger, string trigger, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "control: VM socket for agent {Agent} added at {Path}")]
    private static partial void LogVmAdded(ILogger logger, string agent, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "control: VM socket for agent {Agent} at {Path} removed (its frontend was disconnected, its requests and votes released)")]
    private static partial void LogVmRemoved(ILogger logger, string agent, string path);
}
