using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Vscmi.Platform.Hosting;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Linux;
using Vscmi.Transport;
using Vscmi.VhostUser;

namespace Vscmi.Cli;

/// <summary><c>vscmi serve</c>: the SCMI platform on stream sockets and vhost-user sockets.</summary>
internal static partial class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Device model (TOML). Default: the embedded model ('vscmi config show' prints it). SIGHUP or 'vscmi ctl reload' reads it again and applies what keeps every agent's ids (docs/operations.md)." };
        var sockets = new Option<string[]>("--socket")
        {
            Description = "Serve on a Unix socket: [AGENT=]PATH. Without AGENT the socket belongs to the model's first agent. Repeatable. Default: each agent's 'socket' from the model (the default model: OSPM on ./vscmi.sock).",
            AllowMultipleArgumentsPerToken = false,
        };
        var tcp = new Option<string[]>("--tcp") { Description = "Serve on loopback TCP: [AGENT=]127.0.0.1:PORT (port 0: any free port, logged). Repeatable." };
        var vhostUser = new Option<string[]>("--vhost-user")
        {
            Description = "Serve a VM's virtio-scmi device: [AGENT=]PATH, the vhost-user socket QEMU's vhost-user-scmi(-pci) device connects to ('vscmi qemu-args' prints the options). One VM per socket; a VM that reboots or a QEMU that restarts reconnects. Repeatable. Default: each agent's 'vhost_user' from the model.",
        };
        var vhostUserClient = new Option<string[]>("--vhost-user-client")
        {
            Description = "Serve a VM's virtio-scmi device by connecting to QEMU's socket: [AGENT=]PATH, where QEMU listens (-chardev socket,path=PATH,server=on,wait=on; 'vscmi qemu-args --server' prints it). vscmi connects again whenever the connection ends, so a running guest outlives a restart of the daemon (docs/operations.md). Repeatable.",
        };
        var maxPayload = new Option<int>("--max-payload")
        {
            Description = "Largest payload per message in bytes, after the header and status (Linux's virtio transport uses 128). Lists are split to fit.",
            DefaultValueFactory = _ => 128,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every rejected message (debug level)." };
        var state = new Option<string?>("--state")
        {
            Description = "Keep the resources' state (rates, levels, votes, power states, caps, pins, resets, permissions) in this file: restored at start when it is whole and for this model, written (atomically) within 100 ms of each change. A restart then looks to the VMs like a reconnect.",
        };
        var control = new Option<string?>("--control")
        {
            Description = "Listen for 'vscmi ctl' on this Unix socket (mode 0600, JSON lines; docs/control.md): status, reload, and VMs added or removed while the others run. The systemd unit uses /run/vscmi/control.sock.",
        };
        var sysfs = new Option<string?>("--sysfs") { Description = "Where host backends find sysfs (default: the model's [host] sysfs, else /sys; debugfs is then ROOT/kernel/debug). For trying a model against a copy of another machine's tree; docs/host-backends.md." };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "Serve Prometheus metrics on http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464; port 0: any free port, logged): messages by agent, protocol, message and status, reply latency, in-flight commands, pending events, sessions, ring violations, reloads (docs/observability.md).",
        };
        var dashboard = new Option<string?>("--dashboard")
        {
            Description = "Serve the live dashboard on http://ADDR:PORT/ (e.g. 127.0.0.1:8080): agents, every resource's state and who changed it, sensor charts, the message log (docs/dashboard.md). Read-only unless --dashboard-agent is given.",
        };
        var dashboardAgent = new Option<string?>("--dashboard-agent")
        {
            Description = "The model's agent (name or number) the dashboard acts as: its clock and performance changes are SCMI commands of that agent, with that agent's permissions. Without it the page changes nothing.",
        };
        var command = new Command("serve", "Run the SCMI platform. Each socket is one agent channel: stream sockets carry frames (a 4-byte little-endian length then the message); vhost-user sockets serve a VM's virtio-scmi device.")
        {
            config, sockets, tcp, vhostUser, vhostUserClient, maxPayload, verbose, control, state, sysfs, metrics, dashboard, dashboardAgent,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(config), parse.GetValue(sockets) ?? [], parse.GetValue(tcp) ?? [], parse.GetValue(vhostUser) ?? [], parse.GetValue(vhostUserClient) ?? [], parse.GetValue(maxPayload), parse.GetValue(verbose),
            parse.GetValue(control), parse.GetValue(state), parse.GetValue(sysfs),
            new WebArguments(parse.GetValue(metrics), parse.GetValue(dashboard), parse.GetValue(dashboardAgent)), cancellationToken));
        return command;
    }

    /// <summary>The HTTP side as given on the command line (parsed once the model is loaded).</summary>
    private sealed record WebArguments(string? Metrics, string? Dashboard, string? DashboardAgent);

    /// <summary>ADDR:PORT for --metrics and --dashboard; a non-loopback address is allowed (the operator asked) but warned about.</summary>
    private static IPEndPoint ParseHttpEndpoint(string option, string text)
    {
        if (!IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port is < 0 or > 65535 || !text.Contains(':', StringComparison.Ordinal))
            throw new FormatException($"{option} {text}: expected ADDRESS:PORT, e.g. 127.0.0.1:9464");
        return endpoint;
    }

    private static async Task<int> RunAsync(string? configPath, string[] sockets, string[] tcp, string[] vhostUser, string[] vhostUserClient, int maxPayload, bool verbose, string? controlPath,
        string? statePath, string? sysfsRoot, WebArguments web, CancellationToken cancellationToken)
    {
        // One line per entry on stdout, from a thread of its own (LineLogger.cs: why not the console provider).
        using var logOutput = new LineLoggerProvider();
        using var loggerFactory = new LoggerFactory([logOutput], new LoggerFilterOptions { MinLevel = verbose ? LogLevel.Debug : LogLevel.Information });
        var logger = loggerFactory.CreateLogger("vscmi");

        if (maxPayload is < 16 or > 4096)
        {
            Console.Error.WriteLine($"error: --max-payload {maxPayload} is outside 16..4096");
            return 2;
        }

        DeviceModel model;
        try
        {
            model = configPath is null ? ModelLoader.LoadDefault() : ModelLoader.LoadFile(configPath);
            if (sysfsRoot is not null)
            {
                if (!Directory.Exists(sysfsRoot))
                    throw new ModelException($"--sysfs {sysfsRoot}: no such directory");
                model = model with { Host = model.Host.WithSysfs(Path.GetFullPath(sysfsRoot)) };
            }
        }
        catch (ModelException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        var bindings = new List<(StreamEndpoint Endpoint, int AgentId)>();
        Vscmi.Web.WebOptions webOptions;
        var vms = new List<(string Path, int AgentId)>();
        var connectTo = new List<(string Path, int AgentId)>();
        try
        {
            foreach (var spec in sockets)
                bindings.Add(Bind(model, spec, tcp: false));
            foreach (var spec in vhostUser)
            {
                var (endpoint, agentId) = Bind(model, spec, tcp: false);
                vms.Add((endpoint.UnixPath!, agentId));
            }

            foreach (var spec in vhostUserClient)
            {
                var (endpoint, agentId) = Bind(model, spec, tcp: false);
                connectTo.Add((endpoint.UnixPath!, agentId));
            }

            if (sockets.Length == 0 && tcp.Length == 0 && vhostUser.Length == 0 && vhostUserClient.Length == 0)
            {
                // The model says where each agent connects; without that, the first agent on ./vscmi.sock.
                for (var i = 0; i < model.Agents.Count; i++)
                {
                    if (model.Agents[i].Socket is { } path)
                        bindings.Add((StreamEndpoint.Parse("unix:" + path), i + 1));
                    if (model.Agents[i].VhostUser is { } vm)
                        vms.Add((vm, i + 1));
                }

                if (bindings.Count == 0 && vms.Count == 0)
                    bindings.Add((StreamEndpoint.Parse("unix:vscmi.sock"), 1));
            }

            foreach (var spec in tcp)
                bindings.Add(Bind(model, spec, tcp: true));
            webOptions = new Vscmi.Web.WebOptions(
                web.Metrics is null ? null : ParseHttpEndpoint("--metrics", web.Metrics),
                web.Dashboard is null ? null : ParseHttpEndpoint("--dashboard", web.Dashboard),
                web.DashboardAgent is null ? null : AgentArgument.Resolve(model, web.DashboardAgent, " (--dashboard-agent)"));
            if (webOptions.DashboardAgent is not null && webOptions.Dashboard is null)
                throw new FormatException("--dashboard-agent needs --dashboard");
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        // Agents and VM sockets a previous run added at run time ('vscmi ctl vm add') come back
        // first: the saved state belongs to the model with them.
        var restored = statePath is null ? null : Control.DaemonControl.RuntimeAdditions.Read(statePath);
        if (restored is not null)
            model = restored.AddTo(model, (agent, reason) => LogRestoreAgentFailed(logger, agent, reason));

        var platform = new ScmiPlatform(model, logger: loggerFactory.CreateLogger("vscmi.platform"));
        if (platform.HasHostResources)
        {
            // Host values in place before the first agent asks, unless the host takes too long:
            // then the sampler's next period retries and agents get HARDWARE_ERROR meanwhile.
            var first = Task.Run(() => platform.RefreshHost(force: true), cancellationToken);
            if (!first.Wait(TimeSpan.FromSeconds(2), cancellationToken))
                LogHostSlow(logger);
        }
        // Before any socket listens: a restarted daemon serves the state it had.
        using var keeper = statePath is null ? null : new Vscmi.Platform.State.StateKeeper(platform, statePath, loggerFactory.CreateLogger("vscmi.state"));
        keeper?.SyncDirectory = DirectorySync.Flush; // the rename reaches the disk too
        try
        {
            keeper?.Restore();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot read the state file {statePath}: {e.Message}");
            return 1;
        }

        var capabilities = new TransportCapabilities(maxPayload, MaxInFlight: 1, HasP2A: true);
        await using var server = new PlatformServer(platform, capabilities, loggerFactory.CreateLogger("vscmi.server"));
        foreach (var (endpoint, agentId) in bindings)
        {
            try
            {
                server.Listen(endpoint, agentId);
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"error: cannot listen on {endpoint}: {e.Message}" +
                    (e.SocketErrorCode == SocketError.AddressAlreadyInUse ? " (is another vscmi serve running?)" : ""));
                return 1;
            }
        }

        var backends = new List<VhostUserBackend>();
        try
        {
            foreach (var (path, agentId) in vms)
                backends.Add(VhostUserBackend.Listen(platform, agentId, path, loggerFactory.CreateLogger("vscmi.vhost-user")));
            foreach (var (path, agentId) in connectTo)
                backends.Add(VhostUserBackend.Connect(platform, agentId, path, loggerFactory.CreateLogger("vscmi.vhost-user")));
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"error: cannot listen for vhost-user on {vms[backends.Count].Path}: {e.Message}" +
                (e.SocketErrorCode == SocketError.AddressAlreadyInUse ? " (is another vscmi serve or vhost-user backend running?)" : ""));
            foreach (var backend in backends)
                await backend.DisposeAsync().ConfigureAwait(false);
            return 1;
        }

        // Under systemd (Type=notify): READY=1 once every socket listens (below), so units ordered
        // after vscmi (the VMs) find their sockets; RELOADING=1/READY=1 around a reload; keep-alives when WatchdogSec is set.
        using var systemd = SystemdNotifier.FromEnvironment(reason => LogNotifyFailed(logger, reason));

        // The VMs' sockets belong to the control from here on: it can add and remove them while serving.
        await using var daemon = new Control.DaemonControl(platform, loggerFactory, backends, keeper, configPath, systemd, restored)
        {
            SysfsOverride = sysfsRoot is null ? null : Path.GetFullPath(sysfsRoot),
        };
        if (restored is not null)
            daemon.ServeRestored(restored);
        Control.ControlServer? controlServer = null;
        if (controlPath is not null)
        {
            try
            {
                controlServer = Control.ControlServer.Listen(controlPath, daemon.HandleAsync, loggerFactory.CreateLogger("vscmi.control"));
                controlServer.Streams["trace"] = (request, writeLine, token) => Control.TraceStream.RunAsync(platform, request, writeLine, token);
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"error: cannot listen for control on {controlPath}: {e.Message}");
                return 1;
            }
        }

        Vscmi.Web.WebEndpoints? webEndpoints = null;
        if (webOptions.Metrics is not null || webOptions.Dashboard is not null)
        {
            foreach (var endpoint in new[] { webOptions.Metrics, webOptions.Dashboard }.OfType<IPEndPoint>().Where(e => !IPAddress.IsLoopback(e.Address)))
                LogWebNotLoopback(logger, endpoint.ToString());
            try
            {
                webEndpoints = await Vscmi.Web.WebEndpoints.StartAsync(platform, webOptions, loggerFactory, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: cannot serve HTTP on {webOptions.Metrics?.ToString() ?? webOptions.Dashboard?.ToString()}: {e.Message}");
                if (controlServer is not null)
                    await controlServer.DisposeAsync().ConfigureAwait(false);
                return 1;
            }

            if (webEndpoints.MetricsUrl is { } metricsUrl)
                LogMetrics(logger, metricsUrl);
            var mode = webOptions.DashboardAgent is { } acting ? $"acting as {model.Agents[acting - 1].Name}" : "read-only";
            if (webEndpoints.DashboardUrl is { } dashboardUrl)
                LogDashboard(logger, dashboardUrl, mode);
        }

        await using var webGuard = webEndpoints;
        // SIGTERM (systemd, kill) and SIGINT (Ctrl-C) both stop cleanly.
        using var stop = new StopSignals(cancellationToken);
        // SIGHUP (systemctl reload): read the model file again and apply what keeps every agent's ids.
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = daemon.ReloadOnSignalAsync();
        });
        // A process started with SIGHUP ignored (nohup) keeps it ignored, as the runtime and the
        // convention for nohup want: say so, or a 'kill -HUP' that does nothing looks like a bug.
        if (configPath is not null && ProcessSignal.IsIgnored(ProcessSignal.SIGHUP))
            LogSighupIgnored(logger);
        server.Start();
        foreach (var backend in backends)
            backend.Start();
        controlServer?.Start();
        keeper?.Start();
        // Trip points and continuous updates; started with the rest of what runs on timers, once
        // the sockets listen.
        platform.StartSensorSampling(ScmiPlatform.SamplingPeriod);
        var summary = ConfigCommand.Summary(model);
        LogReady(logger, model.Platform.Vendor, model.Platform.SubVendor, summary, maxPayload);

        if (systemd is not null)
        {
            systemd.Ready($"serving {bindings.Count + vms.Count + connectTo.Count + (controlPath is null ? 0 : 1)} sockets, {summary}");
            if (SystemdNotifier.WatchdogInterval() is { } watchdog)
                systemd.StartWatchdog(watchdog);
            LogSystemd(logger, systemd.Address, SystemdNotifier.WatchdogInterval()?.TotalMilliseconds ?? 0);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        LogStopping(logger);
        systemd?.Stopping();
        if (controlServer is not null)
            await controlServer.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ready: {Vendor}/{SubVendor}, {Summary}, max payload {MaxPayload} bytes")]
    private static partial void LogReady(ILogger logger, string vendor, string subVendor, string summary, int maxPayload);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "metrics: {Url}metrics (Prometheus text format)")]
    private static partial void LogMetrics(ILogger logger, Uri url);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "dashboard: {Url} ({Mode})")]
    private static partial void LogDashboard(ILogger logger, Uri url, string mode);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "http: {Endpoint} is not a loopback address: anyone who can reach it sees the platform (and the dashboard has no authentication)")]
    private static partial void LogWebNotLoopback(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "stopping")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "systemd: READY=1 sent to {Address}; watchdog every {WatchdogMs} ms (0: none)")]
    private static partial void LogSystemd(ILogger logger, string address, double watchdogMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "state: agent {Agent}, added at run time by a previous run, is not restored: {Reason}")]
    private static partial void LogRestoreAgentFailed(ILogger logger, string agent, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "host: the first read of the host's resources takes longer than 2 s; serving anyway (agents get HARDWARE_ERROR until it completes)")]
    private static partial void LogHostSlow(ILogger logger);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "SIGHUP is ignored by this process (it was started with it ignored, as nohup does): reload the model with 'vscmi ctl reload' (--control) instead")]
    private static partial void LogSighupIgnored(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "systemd: {Reason}")]
    private static partial void LogNotifyFailed(ILogger logger, string reason);

    /// <summary>Parses [AGENT=]ADDRESS; AGENT is a name from the model or a 1-based number.</summary>
    private static (StreamEndpoint, int) Bind(DeviceModel model, string spec, bool tcp)
    {
        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        var agentText = equals >= 0 ? spec[..equals] : null;
        var address = equals >= 0 ? spec[(equals + 1)..] : spec;
        var agentId = agentText is null ? 1 : AgentArgument.Resolve(model, agentText, $" in '{spec}'");

        var endpoint = StreamEndpoint.Parse(tcp ? "tcp:" + address : "unix:" + address, anyPort: true);
        if (tcp && endpoint.EndPoint is IPEndPoint ip && !IPAddress.IsLoopback(ip.Address))
            throw new FormatException($"--tcp {spec}: only loopback addresses are served (an SCMI platform has no authentication)");
        return (endpoint, agentId);
    }
}
