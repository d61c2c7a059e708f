using System.Buffers.Binary;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Vscmi.Platform.Model;
using Vscmi.Platform.Telemetry;

namespace Vscmi.Platform.Tests;

/// <summary>
/// What the platform counts and traces (docs/observability.md): per agent, command and status;
/// who changed a resource last; the live trace with its bounded rings; and the hot path, which
/// still allocates nothing while OpenTelemetry's SDK collects the latency histogram.
/// </summary>
[Collection(nameof(TelemetryTests))] // the meter is static: these tests do not run beside each other
public sealed class TelemetryTests
{
    private static byte[] Command(uint header, params uint[] words) => BaseAndDispatchTests.Words([header, .. words]);

    private static long Count(ScmiPlatform platform, string agent, string message, string status)
    {
        long total = 0;
        foreach (var (name, counts) in platform.MessageCountsByAgent())
        {
            if (name != agent)
                continue;
            for (var i = 0; i < counts.Length; i++)
            {
                var (_, counted) = platform.CountedMessage(i / PlatformMetrics.StatusSlots);
                if (counted == message && PlatformMetrics.StatusNames[i % PlatformMetrics.StatusSlots] == status)
                    total += counts[i];
            }
        }

        return total;
    }

    [Fact]
    public void Commands_are_counted_by_agent_message_and_status_across_reconnects()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var ospm = platform.OpenSession(1);
        var guest = platform.OpenSession(2);
        var reply = new byte[ospm.ReplyBufferSize];
        for (var i = 0; i < 5; i++)
            platform.Handle(ospm, Command(0x00005006, 3), reply);     // CLOCK_RATE_GET clock 3: SUCCESS
        for (var i = 0; i < 2; i++)
            platform.Handle(ospm, Command(0x00005006, 99), reply);    // no clock 99: NOT_FOUND
        platform.Handle(guest, Command(0x00005006, 0), reply);
        platform.Handle(guest, Command(0x0000507F), reply);            // no such message: NOT_SUPPORTED
        platform.CloseSession(ospm);
        var again = platform.OpenSession(1);
        platform.Handle(again, Command(0x00005006, 3), reply);

        Assert.Equal(6, Count(platform, "OSPM", "CLOCK_RATE_GET", "SUCCESS"));
        Assert.Equal(2, Count(platform, "OSPM", "CLOCK_RATE_GET", "NOT_FOUND"));
        Assert.Equal(1, Count(platform, "guest", "CLOCK_RATE_GET", "SUCCESS"));
        Assert.Equal(1, Count(platform, "guest", "unknown", "NOT_SUPPORTED"));
        Assert.Equal(0, Count(platform, "sandbox", "CLOCK_RATE_GET", "SUCCESS"));
        Assert.Equal((1L, 0L), (platform.SessionsClosed(1), platform.SessionsClosed(2))); // OSPM's first channel, not the one open again
        platform.CloseSession(ospm); // closing it again counts nothing
        Assert.Equal(1L, platform.SessionsClosed(1));
    }

    [Fact]
    public void A_status_outside_the_specification_shares_the_OTHER_slot_and_a_dropped_command_counts_as_NO_REPLY()
    {
        Assert.Equal(0, PlatformMetrics.StatusSlot(ScmiStatus.SUCCESS));
        Assert.Equal(11, PlatformMetrics.StatusSlot(ScmiStatus.IN_USE));
        Assert.Equal("OTHER", PlatformMetrics.StatusNames[PlatformMetrics.StatusSlot((ScmiStatus)(-40))]);
        Assert.Equal("OTHER", PlatformMetrics.StatusNames[PlatformMetrics.StatusSlot((ScmiStatus)5)]);
        Assert.Equal(PlatformMetrics.StatusSlots, PlatformMetrics.StatusNames.Length);

        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var session = platform.OpenSession(1);
        platform.Faults.Add(new Injection.FaultSpec(Injection.FaultKind.Drop) { Count = 1 });
        Assert.Equal(0, platform.Handle(session, BaseAndDispatchTests.Words(0x00005006, 3), new byte[session.ReplyBufferSize]));
        var counted = platform.MessageCountsByAgent().Single(a => a.Agent == "OSPM").Counts;
        var slot = Array.FindIndex(counted, c => c != 0);
        Assert.Equal(("CLOCK_RATE_GET", "NO_REPLY"), (platform.CountedMessage(slot / PlatformMetrics.StatusSlots).Message, PlatformMetrics.StatusNames[slot % PlatformMetrics.StatusSlots]));
    }

    [Fact]
    public void The_last_change_of_a_resource_names_the_agent_and_command_in_its_global_id()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault()) { TrackChanges = true };
        var ospm = platform.OpenSession(1);
        var reply = new byte[ospm.ReplyBufferSize];
        platform.Handle(ospm, Command(0x00005005, 0, 6, 400_000_000, 0), reply); // CLOCK_RATE_SET clock 6
        platform.Handle(ospm, Command(0x00005006, 6), reply);                    // a read changes nothing
        platform.Handle(ospm, Command(0x00005005, 0, 99, 1, 0), reply);           // refused: not recorded
        var changes = platform.LastChanges();
        var change = Assert.Single(changes);
        Assert.Equal((ResourceKind.Clock, 6), change.Key);
        Assert.Equal("OSPM", change.Value.Agent);
        Assert.Equal("CLOCK_RATE_SET", change.Value.Message);
    }

    [Fact]
    public async Task A_subscriber_sees_commands_replies_and_notifications_with_latency()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var ospm = platform.OpenSession(1);
        var reply = new byte[ospm.ReplyBufferSize];
        using var trace = platform.Trace.Subscribe();
        Assert.True(platform.Trace.Active);
        platform.Handle(ospm, Command(0x00005006, 3), reply);
        Assert.True(trace.Records.TryRead(out var command));
        Assert.True(trace.Records.TryRead(out var response));
        Assert.Equal(TraceDirection.In, command!.Direction);
        Assert.Equal(Command(0x00005006, 3), command.Message);
        Assert.Equal(TraceDirection.Out, response!.Direction);
        Assert.Equal(0x00005006u, BinaryPrimitives.ReadUInt32LittleEndian(response.Message));
        Assert.True(response.LatencyNs > 0);
        Assert.True(command.UnixTimeNs <= response.UnixTimeNs);
        Assert.Equal("OSPM", response.AgentName);

        // CLOCK_RATE_NOTIFY for clock 6, then a change: the notification goes out traced too.
        platform.Handle(ospm, Command(0x00005009, 6, 1), reply);
        platform.Handle(ospm, Command(0x00005005, 0, 6, 400_000_000, 0), reply);
        var records = new List<TraceRecord>();
        while (trace.Records.TryRead(out var record))
            records.Add(record);
        Assert.Contains(records, r => r.Direction == TraceDirection.Out && (r.Message[1] & 3) == 3); // type 3: a notification
        trace.Dispose();
        Assert.False(platform.Trace.Active);
        await Task.CompletedTask;
    }

    [Fact]
    public void A_filter_keeps_only_its_agents_and_protocols()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var ospm = platform.OpenSession(1);
        var guest = platform.OpenSession(2);
        var reply = new byte[ospm.ReplyBufferSize];
        using var trace = platform.Trace.Subscribe(new TraceFilter(new HashSet<string> { "guest" }, new HashSet<byte> { 0x14 }));
        platform.Handle(ospm, Command(0x00005006, 3), reply);  // OSPM: filtered out
        platform.Handle(guest, Command(0x00004000), reply);    // BASE: filtered out
        platform.Handle(guest, Command(0x00005006, 0), reply); // kept: in and out
        Assert.Equal(2, trace.Records.Count);
    }

    [Fact]
    public void A_full_ring_drops_and_counts_and_never_blocks_the_caller()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var ospm = platform.OpenSession(1);
        var reply = new byte[ospm.ReplyBufferSize];
        using var trace = platform.Trace.Subscribe(capacity: 10);
        for (var i = 0; i < 100; i++)
            platform.Handle(ospm, Command(0x00005006, 3), reply);
        Assert.Equal(10, trace.Records.Count);
        Assert.Equal(190, trace.Dropped);
    }

    [Theory]
    [InlineData(new uint[] { 0x00005006, 3 })]               // CLOCK_RATE_GET
    [InlineData(new uint[] { 0x00005406, 0, 0 })]            // SENSOR_READING_GET
    [InlineData(new uint[] { 0x00004C07, 1, 1600 })]         // PERFORMANCE_LEVEL_SET
    [InlineData(new uint[] { 0x0000507F })]                  // NOT_SUPPORTED
    public void Handling_allocates_nothing_while_OpenTelemetry_collects_the_metrics(uint[] words)
    {
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(PlatformMetrics.MeterName).AddInMemoryExporter(exported).Build();
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        PlatformMetrics.Register(platform);
        try
        {
            var session = platform.OpenSession(1);
            var request = BaseAndDispatchTests.Words(words);
            var reply = new byte[session.ReplyBufferSize];
            for (var i = 0; i < 200; i++)
                platform.Handle(session, request, reply);

            var allocated = Allocations.LeastOfThreeRounds(() =>
            {
                for (var i = 0; i < 1000; i++)
                    platform.Handle(session, request, reply);
            });
            Assert.Equal(0, allocated);

            provider.ForceFlush();
            var histogram = Assert.Single(exported, m => m.Name == "vscmi.scmi.reply.duration");
            long count = 0;
            foreach (var point in histogram.GetMetricPoints())
                count += point.GetHistogramCount();
            Assert.True(count >= 1200, $"{count} durations recorded");
            Assert.Contains(exported, m => m.Name == "vscmi.scmi.messages");
        }
        finally
        {
            PlatformMetrics.Unregister(platform);
        }
    }
}
