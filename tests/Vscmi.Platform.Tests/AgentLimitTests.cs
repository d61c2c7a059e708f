using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Vscmi.Platform.Model;
using Vscmi.Platform.Telemetry;

namespace Vscmi.Platform.Tests;

/// <summary>
/// Per-agent limits held by the platform (docs/security.md): the command rate (a token bucket per
/// agent, BUSY beyond it) and the bytes of an agent's records a trace subscriber holds unread.
/// Each drives one agent over its limit and checks that another agent is answered as before.
/// </summary>
public sealed class AgentLimitTests
{
    private const uint ProtocolVersion = 0x00004000; // BASE PROTOCOL_VERSION

    private static DeviceModel Model(string ospmLines) =>
        ModelLoader.Load(ModelLoader.DefaultModelText.Replace("name = \"OSPM\"\n", $"name = \"OSPM\"\n{ospmLines}\n", StringComparison.Ordinal), "m.toml");

    private static int Status(ScmiPlatform platform, AgentSession session)
    {
        var reply = new byte[session.ReplyBufferSize];
        var length = platform.Handle(session, BaseAndDispatchTests.Words([ProtocolVersion]), reply);
        Assert.True(length >= 8);
        Assert.Equal(ProtocolVersion, BinaryPrimitives.ReadUInt32LittleEndian(reply)); // the header is echoed, BUSY or not
        return BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4));
    }

    [Fact]
    public void An_agent_over_its_command_rate_is_answered_busy_and_another_agent_is_not()
    {
        var time = new ManualTime();
        var logs = new ListLogger();
        var platform = new ScmiPlatform(Model("commands_per_second = 100\ncommand_burst = 5"), time, logs);
        var ospm = platform.OpenSession(1);
        var guest = platform.OpenSession(2);

        for (var i = 0; i < 5; i++)
            Assert.Equal(0, Status(platform, ospm)); // the burst
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal((int)ScmiStatus.BUSY, Status(platform, ospm));
            Assert.Equal(0, Status(platform, guest)); // the guest has a bucket of its own (100,000/s by default)
        }

        Assert.Equal(50, platform.CommandsRefused(1));
        Assert.Equal(0, platform.CommandsRefused(2));

        // 100/s is one command per 10 ms: 10 ms later exactly one more, 50 ms later five.
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, Status(platform, ospm));
        Assert.Equal((int)ScmiStatus.BUSY, Status(platform, ospm));
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(5, Enumerable.Range(0, 10).Count(_ => Status(platform, ospm) == 0));

        // Logged at the first refusal, not per refusal; 10 s later, once more with the count since.
        Assert.Single(logs.Lines, l => l.Contains("agent OSPM is over its command rate (100/s, burst 5", StringComparison.Ordinal));
        time.Advance(TimeSpan.FromSeconds(11));
        for (var i = 0; i < 10; i++)
            Status(platform, ospm);
        var reports = logs.Lines.Where(l => l.Contains("over its command rate", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, reports.Count);
        Assert.Contains("56 command(s) answered BUSY since the last report", reports[1], StringComparison.Ordinal);
    }

    [Fact]
    public void All_channels_of_an_agent_share_its_bucket()
    {
        var time = new ManualTime();
        var platform = new ScmiPlatform(Model("commands_per_second = 10\ncommand_burst = 4"), time);
        var first = platform.OpenSession(1);
        var second = platform.OpenSession(1);
        Assert.Equal(0, Status(platform, first));
        Assert.Equal(0, Status(platform, second));
        Assert.Equal(0, Status(platform, first));
        Assert.Equal(0, Status(platform, second));
        Assert.Equal((int)ScmiStatus.BUSY, Status(platform, first));
        Assert.Equal((int)ScmiStatus.BUSY, Status(platform, second));
    }

    [Fact]
    public void The_default_rate_allows_a_boots_burst_and_zero_lifts_the_limit()
    {
        var time = new ManualTime();
        var platform = new ScmiPlatform(Model("commands_per_second = 0"), time);
        var ospm = platform.OpenSession(1);
        var guest = platform.OpenSession(2);
        Assert.All(Enumerable.Range(0, 20_000), _ => Assert.Equal(0, Status(platform, ospm))); // no limit
        // The default: 100,000/s with a burst of one second's worth, all at one instant.
        Assert.Equal(AgentModel.DefaultCommandsPerSecond, Enumerable.Range(0, 120_000).Count(_ => Status(platform, guest) == 0));
    }

    [Fact]
    public void A_reload_applies_a_new_rate_to_connected_agents()
    {
        var time = new ManualTime();
        var platform = new ScmiPlatform(Model("commands_per_second = 10\ncommand_burst = 1"), time);
        var ospm = platform.OpenSession(1);
        Assert.Equal(0, Status(platform, ospm));
        Assert.Equal((int)ScmiStatus.BUSY, Status(platform, ospm));
        var changes = platform.Reload(Model("commands_per_second = 0"));
        Assert.Null(changes.Refusal);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(0, Status(platform, ospm)));
    }

    [Fact]
    public void A_busy_reply_allocates_nothing()
    {
        var time = new ManualTime();
        var platform = new ScmiPlatform(Model("commands_per_second = 1\ncommand_burst = 1"), time);
        var ospm = platform.OpenSession(1);
        var request = BaseAndDispatchTests.Words([ProtocolVersion]);
        var reply = new byte[ospm.ReplyBufferSize];
        for (var i = 0; i < 100; i++)
            platform.Handle(ospm, request, reply); // warm up; the first refusal logs (an allocation of its own)
        Assert.Equal(0, Allocations.LeastOfThreeRounds(() =>
        {
            for (var i = 0; i < 1000; i++)
                platform.Handle(ospm, request, reply);
        }));
        Assert.Equal((int)ScmiStatus.BUSY, BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4)));
    }

    [Fact]
    public void A_flooding_agent_fills_only_its_share_of_a_slow_trace_subscriber()
    {
        var time = new ManualTime();
        var logs = new ListLogger();
        var platform = new ScmiPlatform(Model("commands_per_second = 0\ntrace_buffer_bytes = 4096"), time, logs);
        var ospm = platform.OpenSession(1);
        var guest = platform.OpenSession(2);
        using var subscription = platform.Trace.Subscribe(); // never read until the end: a subscriber that is behind

        for (var i = 0; i < 1000; i++)
            Assert.Equal(0, Status(platform, ospm));
        Assert.InRange(subscription.BufferedBytesOf(1), 1, 4096);
        Assert.True(subscription.DroppedForAgentLimit > 1900, $"{subscription.DroppedForAgentLimit} of OSPM's 2,000 records dropped");
        for (var i = 0; i < 10; i++)
            Assert.Equal(0, Status(platform, guest));

        var records = new List<TraceRecord>();
        while (subscription.Records.TryRead(out var record))
            records.Add(record);
        Assert.Equal(20, records.Count(r => r.AgentName == "guest")); // every one of the guest's, in and out
        Assert.InRange(records.Count(r => r.AgentName == "OSPM"), 2, 4096 / 120);
        Assert.Equal(0, subscription.BufferedBytesOf(1)); // read: OSPM's share is free again
        Assert.Equal(0, subscription.BufferedBytesOf(2));
        Assert.Equal(0, Status(platform, ospm));
        Assert.True(subscription.Records.TryRead(out var again) && again.AgentName == "OSPM");
        Assert.Single(logs.Lines, l => l.Contains("agent OSPM fills its 4096 bytes of unread trace records", StringComparison.Ordinal));
    }

    /// <summary>Collects formatted log lines.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
                Lines.Add(formatter(state, exception));
        }
    }
}
