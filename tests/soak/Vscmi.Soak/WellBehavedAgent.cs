using System.Diagnostics;
using Vscmi.Agent;
using Vscmi.VhostUser;

namespace Vscmi.Soak;

/// <summary>
/// A well-behaved agent: rounds of valid commands on every protocol, each answer checked against
/// the model and the agent's view, about 20 rounds a second; reconnects when the daemon restarts.
/// </summary>
internal sealed class WellBehavedAgent(SoakAgent agent, int agentCount, Tally tally, RestartWindow restart)
{
    private static readonly Vscmi.Platform.Model.DeviceModel DefaultModel = Vscmi.Platform.Model.ModelLoader.LoadDefault();
    private static readonly uint StateClockId = (uint)DefaultModel.Clocks.ToList().FindIndex(c => c.Name == SoakModel.StateClock);
    private static readonly ScmiClientOptions Options = new() { Timeout = TimeSpan.FromSeconds(5) };
    private int _round;
    private IReadOnlyList<ulong>? _stateRates;

    public SoakAgent Agent => agent;

    /// <summary>os0 only: stop writing the state clock (before the restart).</summary>
    public volatile bool Freeze;

    /// <summary>os0 only: the last rate it set on the state clock and saw read back.</summary>
    public ulong LastRateSet { get; private set; }

    /// <summary>os0 only: the rate the state clock must have after the restart (0: no check pending).</summary>
    public ulong ExpectAfterRestart { get; set; }

    /// <summary>os0 only: what it read after the restart.</summary>
    public ulong? RateAfterRestart { get; private set; }

    /// <summary>os0 only: whether that was the rate set before.</summary>
    public bool? StateSurvived { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var latencies = tally.NewLatencyList();
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await using var client = await ConnectAsync(stop);
                while (!stop.IsCancellationRequested)
                {
                    started = Stopwatch.GetTimestamp();
                    await RoundAsync(client, latencies, stop);
                    await Task.Delay(50, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (restart.Covers(started))
            {
                _ = e;
                tally.Interrupt();
                await Task.Delay(200, CancellationToken.None);
            }
            catch (Exception e)
            {
                tally.WrongAnswer($"{agent.Name}: {e.GetType().Name}: {e.Message}");
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    private async Task<ScmiClient> ConnectAsync(CancellationToken stop)
    {
        if (!agent.IsVm)
            return await ScmiClient.ConnectAsync("unix:" + agent.Socket, Options, cancellationToken: stop);
        var transport = await VhostUserTransport.ConnectAsync(agent.Socket, new VhostUserFrontendOptions { QueueSize = 64 }, stop);
        return new ScmiClient(transport, Options);
    }

    private async Task<T> Timed<T>(List<long> latencies, Func<Task<T>> call)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await call();
        var elapsed = Stopwatch.GetTimestamp() - start;
        lock (latencies)
            latencies.Add(elapsed);
        tally.Answer();
        return result;
    }

    private static void Expect(bool held, string what)
    {
        if (!held)
            throw new InvalidDataException(what);
    }

    private async Task RoundAsync(ScmiClient client, List<long> latencies, CancellationToken stop)
    {
        var round = _round++;
        // Base: who the platform says this agent is, and what it is.
        var self = await Timed(latencies, () => client.Base.DiscoverAgentAsync(0xFFFFFFFF, stop));
        tally.View(self.Name == agent.Name && self.Id == (uint)agent.Id, $"{agent.Name} (id {agent.Id}) was told it is {self.Name} (id {self.Id})");
        var platform = await Timed(latencies, () => client.Base.DiscoverAsync(stop));
        Expect(platform.Vendor == "vscmi" && platform.AgentCount == agentCount, $"{agent.Name}: BASE_DISCOVER answered {platform.Vendor}, {platform.AgentCount} agents");

        // Clocks and sensors: exactly the view, by name, and nothing past it.
        var clocks = await Timed(latencies, () => client.Clock.GetClockCountAsync(stop));
        if (agent.Clocks is { } view)
        {
            tally.View(clocks == view.Length, $"{agent.Name} sees {clocks} clocks, not {view.Length}");
            var k = round % view.Length;
            var clock = await Timed(latencies, () => client.Clock.GetClockAsync((uint)k, stop));
            tally.View(clock.Name == view[k], $"{agent.Name}'s clock {k} is {clock.Name}, not {view[k]}");
            var past = await Timed(latencies, () => client.RequestAsync(ScmiProtocolId.CLOCK, (byte)ClockMessageId.CLOCK_ATTRIBUTES, Fields(("clock_id", (long)view.Length)), cancellationToken: stop));
            tally.View(past.Status == (int)ScmiStatus.NOT_FOUND, $"{agent.Name}'s clock {view.Length} (past its view) answered {past.Status}");
            var rate = await Timed(latencies, () => client.Clock.GetRateAsync((uint)k, stop));
            Expect(rate > 0, $"{agent.Name}: clock {view[k]} rate 0");
        }

        if (agent.Sensors is { } sensors)
        {
            var seen = await Timed(latencies, async () => (await client.Sensor.DescribeAsync(stop).ToListAsync(stop)).Select(s => s.Name).ToArray());
            tally.View(seen.SequenceEqual(sensors), $"{agent.Name} sees sensors [{string.Join(", ", seen)}], not [{string.Join(", ", sensors)}]");
            var readings = await Timed(latencies, () => client.Sensor.ReadAsync(0, stop));
            Expect(readings.Count >= 1, $"{agent.Name}: sensor {sensors[0]} gave no reading");
        }

        // Every other protocol: one read each, which must succeed.
        await Timed(latencies, () => client.Perf.GetLevelAsync(0, stop));
        await Timed(latencies, () => client.Power.GetStateAsync(0, stop));
        await Timed(latencies, () => client.Reset.GetDomainAsync(0, stop));
        await Timed(latencies, () => client.Voltage.GetConfigAsync(0, stop));
        await Timed(latencies, () => client.Powercap.GetCapAsync(0, stop));
        await Timed(latencies, () => client.Pinctrl.GetCountsAsync(stop));
        await Timed(latencies, () => client.System.GetVersionAsync(stop));

        if (agent.Name == "os0")
            await StateClockAsync(client, latencies, round, stop);
    }

    /// <summary>os0 sets the state clock and reads it back; after the restart, first checks it survived.</summary>
    private async Task StateClockAsync(ScmiClient client, List<long> latencies, int round, CancellationToken stop)
    {
        var id = StateClockId;
        if (ExpectAfterRestart != 0 && StateSurvived is null)
        {
            RateAfterRestart = await Timed(latencies, () => client.Clock.GetRateAsync(id, stop));
            StateSurvived = RateAfterRestart == ExpectAfterRestart;
        }

        if (Freeze)
            return;
        // Only rates other than the model's default, so that a state file that was lost shows.
        var initial = DefaultModel.Clocks[(int)id].InitialRate;
        _stateRates ??= (await client.Clock.DescribeRatesAsync(id, stop)) is { Discrete: { Count: > 2 } discrete } ? [.. discrete.Where(r => r != initial)] : throw new InvalidDataException($"{SoakModel.StateClock} has too few rates");
        var target = _stateRates[round % _stateRates.Count];
        await Timed(latencies, async () => { await client.Clock.SetRateAsync(id, target, cancellationToken: stop); return 0; });
        var read = await Timed(latencies, () => client.Clock.GetRateAsync(id, stop));
        Expect(read == target, $"os0 set {SoakModel.StateClock} to {target} Hz and read back {read}");
        LastRateSet = read;
    }

    private static FieldSet Fields(params (string Name, long Value)[] values)
    {
        var set = new FieldSet();
        foreach (var (name, value) in values)
            set.Set(name, value);
        return set;
    }
}
