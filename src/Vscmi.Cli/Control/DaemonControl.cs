using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.VhostUser;

namespace Vscmi.Cli.Control;

/// <summary>
/// What the control socket can do to a running <c>vscmi serve</c> (docs/control.md): report
/// status, and add or remove a VM's vhost-user socket for an agent of the model while the other
/// VMs go on. Requests are serialised; the data plane never waits on them.
/// </summary>
internal sealed partial class DaemonControl(ScmiPlatform platform, ILoggerFactory loggers, IEnumerable<VhostUserBackend> initialVms, Vscmi.Platform.State.StateKeeper? keeper = null)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly List<VhostUserBackend> _vms = [.. initialVms];
    private readonly ILogger _logger = loggers.CreateLogger("vscmi.control");

    private DeviceModel Model => platform.Model;

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
                "vm add" => AddVm(Text(request, "name"), Text(request, "vhost_user")),
                "vm remove" => await RemoveVmAsync(Text(request, "name")).ConfigureAwait(false),
                "state show" => ControlServer.Json(w =>
                {
                    w.WriteBoolean("ok", true);
                    w.WriteString("state", System.Text.Encoding.UTF8.GetString(platform.SaveState()));
                }),
                "state save" => SaveState(),
                null => ControlServer.Error($"the request has no \"command\" ({Commands})"),
                _ => ControlServer.Error($"unknown command \"{command}\" ({Commands})"),
            };
        }
        finally
        {
            _serial.Release();
        }
    }

    private const string Commands = "status, vm add, vm remove, state show, state save";

    private string SaveState()
    {
        if (keeper is null)
            return ControlServer.Error("the daemon keeps no state file (start it with --state PATH)");
        var wrote = keeper.SaveNow();
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("path", keeper.Path);
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
        var sessions = platform.SessionStatuses();
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("vendor", Model.Platform.Vendor);
            w.WriteNumber("pid", Environment.ProcessId);
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
                    w.WriteString("vhost_user", vm.Path);
                else
                    w.WriteNull("vhost_user");
                w.WriteNumber("sessions", sessions.Count(s => s.AgentId == id));
                w.WriteNumber("commands", sessions.Where(s => s.AgentId == id).Sum(s => s.CommandsHandled));
                w.WriteNumber("events_waiting", sessions.Where(s => s.AgentId == id).Sum(s => s.EventsWaiting));
                w.WriteNumber("notifications_dropped", sessions.Where(s => s.AgentId == id).Sum(s => s.NotificationsDropped));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private string AddVm(string? name, string? path)
    {
        if (name is null || path is null)
            return ControlServer.Error("vm add needs \"name\" (an agent of the model) and \"vhost_user\" (the socket path)");
        var agentId = AgentIdOf(name);
        if (agentId == 0)
            return ControlServer.Error($"no agent \"{name}\" in the model (agents: {string.Join(", ", Model.Agents.Select(a => a.Name))})");
        if (_vms.Find(v => v.AgentId == agentId) is { } existing)
            return ControlServer.Error($"agent \"{name}\" already has a VM socket at {existing.Path}");
        VhostUserBackend backend;
        try
        {
            backend = VhostUserBackend.Listen(platform, agentId, path, loggers.CreateLogger("vscmi.vhost-user"));
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            return ControlServer.Error($"cannot listen for vhost-user on {path}: {e.Message}");
        }

        backend.Start();
        _vms.Add(backend);
        LogVmAdded(_logger, name, path);
        return ControlServer.Json(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("name", name);
            w.WriteString("vhost_user", path);
        });
    }

    private async Task<string> RemoveVmAsync(string? name)
    {
        if (name is null)
            return ControlServer.Error("vm remove needs \"name\"");
        if (_vms.Find(v => v.AgentId == AgentIdOf(name)) is not { } backend)
            return ControlServer.Error($"no VM socket is served for \"{name}\"");
        _vms.Remove(backend);
        await backend.DisposeAsync().ConfigureAwait(false);
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

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "control: VM socket for agent {Agent} added at {Path}")]
    private static partial void LogVmAdded(ILogger logger, string agent, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "control: VM socket for agent {Agent} at {Path} removed (its frontend was disconnected)")]
    private static partial void LogVmRemoved(ILogger logger, string agent, string path);
}
