using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Vscmi.Platform.Model;
using Vscmi.Platform.Scenarios;

namespace Vscmi.Cli.Control;

/// <summary>
/// <c>vscmi scenario run|check</c> (docs/scenarios.md): runs scenario files against a daemon through
/// its control socket. The steps go out as <c>inject</c> requests at their times; the trace and the
/// session counts are recorded meanwhile; the expectations are judged at the end, one line each,
/// and as JUnit XML with <c>--junit</c>. Exit status: 0 when every expectation held (or failed as
/// its recorded agent defect says), 3 when one did not or a step was refused, 2 for a bad file, 1
/// when the daemon cannot be reached.
/// </summary>
internal static class ScenarioCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Scenario files (TOML; scenarios/ has a library for Linux).", Arity = ArgumentArity.OneOrMore };
        var control = new Option<string>("--control") { Description = "The daemon's control socket ('vscmi serve --control PATH').", DefaultValueFactory = _ => "/run/vscmi/control.sock" };
        var junit = new Option<string?>("--junit") { Description = "Write the verdicts as JUnit XML to this file (one test suite per scenario)." };
        var agent = new Option<string?>("--agent", "-a") { Description = "The agent under test, instead of the scenario's own 'agent'." };
        var serve = new Option<string?>("--serve") { Description = "Start 'vscmi serve' with these options for the run (its control socket is made for it) and stop it after, e.g. --serve \"--socket OSPM=/tmp/ospm.sock\"; options are split at spaces. Without it the daemon at --control is used." };
        var run = new Command("run", "Run scenarios against a daemon: their steps at their times, then a PASS/FAIL line per expectation.") { files, control, junit, agent, serve };
        run.SetAction((parse, token) => parse.GetValue(serve) is { } serveOptions
            ? RunWithServeAsync(parse.GetValue(files)!, serveOptions, parse.GetValue(junit), parse.GetValue(agent), token)
            : RunAsync(parse.GetValue(files)!, parse.GetValue(control)!, parse.GetValue(junit), parse.GetValue(agent), token));

        var checkFiles = new Argument<string[]>("files") { Description = "Scenario files to check.", Arity = ArgumentArity.OneOrMore };
        var check = new Command("check", "Check scenario files without running them: every error with its file:line.") { checkFiles };
        check.SetAction(parse =>
        {
            var failed = 0;
            foreach (var file in parse.GetValue(checkFiles)!)
            {
                try
                {
                    var scenario = ScenarioLoader.LoadFile(file);
                    Console.WriteLine($"{file}: scenario {scenario.Name}, {ScenarioDuration.Format(scenario.Duration)}, {scenario.Steps.Count} step(s), {scenario.Expectations.Count} expectation(s)");
                }
                catch (ModelException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    failed++;
                }
            }

            return failed == 0 ? 0 : 2;
        });

        return new Command("scenario", "Scenario files: timed injections and expectations about the agent's behaviour, judged from the daemon's trace (docs/scenarios.md).") { run, check };
    }

    private static async Task<int> RunAsync(string[] files, string control, string? junitPath, string? agentOverride, CancellationToken cancellationToken)
    {
        List<Scenario> scenarios = [];
        foreach (var file in files)
        {
            try
            {
                var scenario = ScenarioLoader.LoadFile(file);
                scenarios.Add(agentOverride is null ? scenario : Retarget(scenario, agentOverride));
            }
            catch (ModelException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }

        // SIGTERM (systemd, kill) and SIGINT (Ctrl-C) both stop cleanly.
        using var stop = new StopSignals(cancellationToken);
        List<JUnitReport.Run> runs = [];
        var code = 0;
        foreach (var scenario in scenarios)
        {
            JUnitReport.Run result;
            try
            {
                result = await RunOneAsync(scenario, control, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                Console.Error.WriteLine($"error: cannot talk to the daemon at {control}: {e.Message} (is 'vscmi serve --control {control}' running, and is the socket yours?)");
                return 1;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("interrupted: the scenario's faults were cleared");
                return 130;
            }
            catch (ArgumentException e)
            {
                // The daemon refused what the scenario names (an agent its model lacks).
                Console.Error.WriteLine($"error: scenario {scenario.Name}: {e.Message}");
                return 2;
            }

            runs.Add(result);
            if (result.Errors.Count > 0 || result.Verdicts.Any(v => !v.Ok))
                code = 3;
        }

        if (junitPath is not null)
        {
            try
            {
                await File.WriteAllTextAsync(junitPath, JUnitReport.Write(runs), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot write {junitPath}: {e.Message}");
                return 1;
            }
        }

        return code;
    }

    /// <summary>Starts <c>vscmi serve OPTIONS --control TEMP</c>, runs the scenarios against it, then stops it (SIGTERM).</summary>
    private static async Task<int> RunWithServeAsync(string[] files, string serveOptions, string? junitPath, string? agent, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("vscmi-scenario-");
        var control = Path.Combine(directory.FullName, "control.sock");
        var log = Path.Combine(directory.FullName, "serve.log");
        var start = new ProcessStartInfo { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // The same vscmi that runs this: a native binary, or 'dotnet vscmi.dll'.
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.FileName = self;
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "vscmi.dll"));
        }
        else
            start.FileName = self;
        start.ArgumentList.Add("serve");
        foreach (var option in serveOptions.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            start.ArgumentList.Add(option);
        start.ArgumentList.Add("--control");
        start.ArgumentList.Add(control);
        using var daemon = Process.Start(start)!;
        await using var logFile = new StreamWriter(log);
        var pump = Task.WhenAll(Pump(daemon.StandardOutput, logFile), Pump(daemon.StandardError, logFile));
        var code = 1;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(control) && !daemon.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(control))
            {
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                Console.Error.WriteLine($"error: 'vscmi serve {serveOptions}' did not start (its log: {log})");
                return 1;
            }

            Console.WriteLine($"started vscmi serve {serveOptions} (pid {daemon.Id}, control {control}, log {log})");
            code = await RunAsync(files, control, junitPath, agent, cancellationToken).ConfigureAwait(false);
            return code;
        }
        finally
        {
            if (!daemon.HasExited)
            {
                Vscmi.Linux.ProcessSignal.Terminate(daemon.Id);
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(10)))
                    daemon.Kill();
            }

            await pump.ConfigureAwait(false);
            // The daemon's log is kept when something failed; otherwise nothing is left behind.
            if (code == 0)
            {
                await logFile.DisposeAsync().ConfigureAwait(false);
                directory.Delete(recursive: true);
            }
        }

        static async Task Pump(StreamReader from, StreamWriter to)
        {
            while (await from.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (to)
                    to.WriteLine(line);
            }
        }
    }

    private static Scenario Retarget(Scenario scenario, string agent) => scenario with
    {
        Agent = agent,
        Steps = [.. scenario.Steps.Select(s => s with { Parameters = [.. s.Parameters.Select(p => p.Key == "agent" && Equals(p.Value, scenario.Agent) ? new KeyValuePair<string, object>("agent", agent) : p)] })],
        Expectations = [.. scenario.Expectations.Select(e => e.Agent == scenario.Agent ? e with { Agent = agent } : e)],
    };

    private static async Task<JUnitReport.Run> RunOneAsync(Scenario scenario, string control, CancellationToken cancellationToken)
    {
        Console.WriteLine($"scenario {scenario.Name}: {scenario.Description} ({ScenarioDuration.Format(scenario.Duration)}{(scenario.Agent is null ? "" : $", agent {scenario.Agent}")})");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(control), cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        // Only the agents the scenario is about: another VM's traffic must not fill this run's trace ring.
        var watched = scenario.Expectations.Select(e => e.Agent).Append(scenario.Agent).ToList();
        var request = ControlServer.Json(w =>
        {
            w.WriteString("command", "trace");
            if (!watched.Contains(null))
            {
                w.WriteStartArray("agents");
                foreach (var name in watched.Distinct())
                    w.WriteStringValue(name);
                w.WriteEndArray();
            }
        });
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var first = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the daemon closed the connection without answering");
        long origin;
        List<string> agents = [];
        using (var answer = JsonDocument.Parse(first))
        {
            var root = answer.RootElement;
            if (root.TryGetProperty("error", out var refusal))
                throw new ArgumentException(refusal.GetString());
            if (!root.TryGetProperty("ok", out var ok) || !ok.GetBoolean() || !root.TryGetProperty("now", out var now))
                throw new IOException($"the daemon refused the trace: {first} (a daemon older than 'scenario'?)");
            origin = now.GetInt64();
            agents.AddRange(root.GetProperty("agents").EnumerateArray().Select(a => a.GetString()!));
        }

        List<string> errors = [];
        foreach (var named in scenario.Expectations.Select(e => e.Agent).Append(scenario.Agent).OfType<string>().Distinct())
        {
            if (!agents.Contains(named))
                errors.Add($"agent \"{named}\": the daemon's model has no such agent ({string.Join(", ", agents)})");
        }

        var clock = Stopwatch.StartNew();
        List<ObservedMessage> messages = [];
        List<ObservedSessions> sessions = [];
        long dropped = 0;
        using var recording = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var traceTask = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(recording.Token).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                        continue;
                    using var record = JsonDocument.Parse(line);
                    var r = record.RootElement;
                    if (r.TryGetProperty("dropped", out var d))
                    {
                        dropped = d.GetInt64();
                        continue;
                    }

                    var at = TimeSpan.FromTicks((r.GetProperty("t").GetInt64() - origin) / 100);
                    lock (messages)
                        messages.Add(new ObservedMessage(at, r.GetProperty("agent").GetString()!, r.GetProperty("dir").GetString() == "in", Convert.FromHexString(r.GetProperty("hex").GetString()!)));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        var pollTask = Task.Run(async () =>
        {
            // Sessions per agent every 100 ms, open and closed so far: what session_closes and
            // stays_connected judge (the closed count catches a reconnect between two polls).
            while (!recording.IsCancellationRequested)
            {
                try
                {
                    var at = clock.Elapsed;
                    using var status = JsonDocument.Parse(CtlCommand.Request(control, ControlServer.Json(w => w.WriteString("command", "status"))));
                    lock (sessions)
                    {
                        foreach (var a in status.RootElement.GetProperty("agents").EnumerateArray())
                            sessions.Add(new ObservedSessions(at, a.GetProperty("name").GetString()!, a.GetProperty("sessions").GetInt32(),
                                a.TryGetProperty("sessions_closed", out var closed) ? closed.GetInt64() : -1));
                    }

                    await Task.Delay(100, recording.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                catch (Exception e) when (e is SocketException or IOException or JsonException or KeyNotFoundException)
                {
                    await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }, CancellationToken.None);

        Dictionary<string, TimeSpan> stepTimes = new(StringComparer.Ordinal);
        List<int> injected = [];
        var stepTimesLast = TimeSpan.Zero;
        try
        {
            var number = 0;
            var started = false;
            foreach (var step in scenario.Steps)
            {
                number++;
                if (!started && step.At > TimeSpan.Zero)
                {
                    started = true;
                    Announce();
                }

                var wait = step.At - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                var at = clock.Elapsed;
                if (step.Name is { } name)
                    stepTimes[name] = at;
                var outcome = Perform(control, step, injected);
                stepTimesLast = at;
                Console.WriteLine($"  {ScenarioDuration.Format(at),8}  step {number}{(step.Name is null ? "" : $" ({step.Name})")}: {outcome}");
                if (outcome.StartsWith("refused", StringComparison.Ordinal))
                    errors.Add($"{step.Line}: step {number} {outcome}");
            }

            if (!started)
                Announce();
            while (clock.Elapsed < scenario.Duration)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, Math.Max(1, (scenario.Duration - clock.Elapsed).TotalMilliseconds))), cancellationToken).ConfigureAwait(false);
                if (scenario.UntilClosed && Closed(sessions, scenario.Agent!, scenario.Steps.Count == 0 ? TimeSpan.Zero : stepTimesLast))
                {
                    Console.WriteLine($"  {ScenarioDuration.Format(clock.Elapsed),8}  {scenario.Agent}'s channels are closed: the run ends early (until_closed)");
                    break;
                }
            }
        }
        finally
        {
            // The scenario's faults end with it (a flood or a withholding must not outlive the run).
            if (injected.Count > 0)
                Console.WriteLine($"  {ScenarioDuration.Format(clock.Elapsed),8}  end: {Clear(control, injected)}");
            // The trace runs a little past the end: what was in flight at the end arrives.
            await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
            recording.Cancel();
            socket.Shutdown(SocketShutdown.Both);
            await Task.WhenAll(traceTask, pollTask).ConfigureAwait(false);
        }

        var end = clock.Elapsed;
        List<ObservedMessage> seen;
        lock (messages)
            seen = [.. messages.OrderBy(m => m.At)];
        List<ObservedSessions> polled;
        lock (sessions)
            polled = [.. sessions];
        var verdicts = ScenarioJudge.Judge(scenario, seen, polled, stepTimes, end, dropped);
        foreach (var verdict in verdicts)
        {
            var label = verdict.Outcome switch
            {
                VerdictOutcome.Pass => "PASS ",
                VerdictOutcome.Fail => "FAIL ",
                VerdictOutcome.KnownDefect => "KNOWN",
                _ => "FIXED?",
            };
            var defect = verdict.Outcome switch
            {
                VerdictOutcome.KnownDefect => $" [known agent defect: {verdict.Expectation.KnownDefect}]",
                VerdictOutcome.DefectGone => $" [a defect was recorded ({verdict.Expectation.KnownDefect}) but it held: update the scenario]",
                _ => "",
            };
            Console.WriteLine($"{label} {verdict.Expectation.Name}: {verdict.Detail}{defect}");
        }

        foreach (var error in errors)
            Console.WriteLine($"ERROR {error}");
        var failed = verdicts.Count(v => !v.Ok) + errors.Count;
        Console.WriteLine($"scenario {scenario.Name}: {verdicts.Count(v => v.Outcome == VerdictOutcome.Pass)} passed, {failed} failed, " +
            $"{verdicts.Count(v => v.Outcome == VerdictOutcome.KnownDefect)} known agent defect(s); {seen.Count} messages traced");
        return new JUnitReport.Run(scenario, verdicts, end, errors);
    }

    // "started" follows the steps at 0 s: a bench that waits for it (tests/e2e) then drives the agent
    // into faults already in place.
    private static void Announce()
    {
        Console.WriteLine("  started");
        Console.Out.Flush();
    }

    private static bool Closed(List<ObservedSessions> sessions, string agent, TimeSpan since)
    {
        lock (sessions)
            return sessions.Count > 0 && sessions.FindLast(s => s.Agent == agent) is { Agent: not null } last && last.At > since && last.Open == 0;
    }

    /// <summary>Sends one step to the daemon; returns what it said (an answer or "refused: why").</summary>
    private static string Perform(string control, ScenarioStep step, List<int> injected)
    {
        if (step.Action == StepAction.Clear)
            return Clear(control, injected);
        var request = ControlServer.Json(w =>
        {
            w.WriteString("command", step.Action == StepAction.Inject ? "inject add" : "inject event");
            w.WriteString(step.Action == StepAction.Inject ? "kind" : "event", step.Kind);
            foreach (var (key, value) in step.Parameters)
            {
                switch (value)
                {
                    case string text: w.WriteString(key, text); break;
                    case long number: w.WriteNumber(key, number); break;
                    case double number: w.WriteNumber(key, number); break;
                    case bool flag: w.WriteBoolean(key, flag); break;
                    case long[] numbers:
                        w.WriteStartArray(key);
                        foreach (var n in numbers)
                            w.WriteNumberValue(n);
                        w.WriteEndArray();
                        break;
                }
            }
        });
        using var answer = JsonDocument.Parse(CtlCommand.Request(control, request));
        var root = answer.RootElement;
        if (!root.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
            return $"refused: {(root.TryGetProperty("error", out var error) ? error.GetString() : root.ToString())}";
        if (root.TryGetProperty("id", out var id))
        {
            injected.Add(id.GetInt32());
            return $"fault {id.GetInt32()}: {root.GetProperty("fault").GetString()}";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{root.GetProperty("done").GetString()}; {root.GetProperty("notified").GetInt32()} channel(s) notified");
    }

    private static string Clear(string control, List<int> injected)
    {
        var cleared = 0;
        foreach (var id in injected)
        {
            using var answer = JsonDocument.Parse(CtlCommand.Request(control, ControlServer.Json(w =>
            {
                w.WriteString("command", "inject clear");
                w.WriteNumber("id", id);
            })));
            if (answer.RootElement.TryGetProperty("ok", out var ok) && ok.GetBoolean())
                cleared++;
        }

        injected.Clear();
        return $"cleared the {cleared} fault(s) this scenario injected";
    }
}
