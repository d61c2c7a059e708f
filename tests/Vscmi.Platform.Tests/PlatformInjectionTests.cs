using System.Buffers.Binary;
using System.Diagnostics;
using Vscmi.Platform.Injection;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// Every injection kind of docs/scenarios.md at the platform level, beyond status, delay and drop
/// (<see cref="FaultInjectionTests"/>): replies altered (late, wrong token, truncated, delayed
/// responses held), the platform's own messages (floods, withheld events), values (sensors,
/// limits, rates, power states, resets) and platform events (system power, errors, permissions).
/// </summary>
public sealed class PlatformInjectionTests
{
    private static readonly ScmiHeader RateGetHeader = new((byte)ClockMessageId.CLOCK_RATE_GET, ScmiMessageType.COMMAND, (byte)ScmiProtocolId.CLOCK, 0x123);
    private static readonly byte[] RateGet = BaseAndDispatchTests.Words(RateGetHeader.Value, 3);

    private static List<ScmiMessage> Drain(AgentSession session)
    {
        var messages = new List<ScmiMessage>();
        while (session.Outbox.TryRead(out var m))
        {
            session.MessageDelivered(m);
            messages.Add(ScmiMessageCodec.Decode(m, ScmiMessageKind.Notification));
        }

        return messages;
    }

    private static byte[] Handle(Harness h, byte[] request, out int length)
    {
        var reply = new byte[h.Session.ReplyBufferSize];
        length = h.Platform.Handle(h.Session, request, reply);
        return reply;
    }

    [Fact]
    public void A_late_fault_answers_with_the_commands_own_token_after_its_delay()
    {
        var h = new Harness();
        h.Platform.Faults.Add(new FaultSpec(FaultKind.Late, Protocol: 0x14) { Delay = TimeSpan.FromMilliseconds(200), Count = 1 });
        var watch = Stopwatch.StartNew();
        var reply = Handle(h, RateGet, out var length);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(190), $"answered after {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(16, length);
        Assert.Equal(RateGetHeader.Value, BinaryPrimitives.ReadUInt32LittleEndian(reply));
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4)));
    }

    [Fact]
    public void A_wrong_token_fault_answers_the_right_values_under_another_token()
    {
        var h = new Harness();
        var good = Handle(h, RateGet, out var goodLength);
        h.Platform.Faults.Add(new FaultSpec(FaultKind.WrongToken, Message: (byte)ClockMessageId.CLOCK_RATE_GET) { Count = 1 });
        var bad = Handle(h, RateGet, out var badLength);
        Assert.Equal(goodLength, badLength);
        var header = ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(bad));
        Assert.Equal(RateGetHeader.Token ^ 0x200, header.Token);
        Assert.Equal((RateGetHeader.ProtocolId, RateGetHeader.MessageId, RateGetHeader.Type), (header.ProtocolId, header.MessageId, header.Type));
        Assert.Equal(good.AsSpan(4, goodLength - 4).ToArray(), bad.AsSpan(4, badLength - 4).ToArray());
        Assert.Equal(RateGetHeader.Value, BinaryPrimitives.ReadUInt32LittleEndian(Handle(h, RateGet, out _))); // count used up
    }

    [Fact]
    public void A_truncate_fault_sends_only_its_bytes_and_only_for_its_resource()
    {
        var h = new Harness();
        h.Platform.Faults.Add(new FaultSpec(FaultKind.Truncate, Protocol: 0x14) { Bytes = 6, Resource = 3 });
        Handle(h, BaseAndDispatchTests.Words(RateGetHeader.Value, 2), out var other);
        Assert.Equal(16, other);                                              // clock 2: untouched
        var reply = Handle(h, RateGet, out var cut);
        Assert.Equal(6, cut);                                                 // clock 3: header and half the status
        Assert.Equal(RateGetHeader.Value, BinaryPrimitives.ReadUInt32LittleEndian(reply));
        h.Platform.Faults.Add(new FaultSpec(FaultKind.Truncate) { Bytes = 100 });
        Handle(h, BaseAndDispatchTests.Words(RateGetHeader.Value, 2), out var longer);
        Assert.Equal(16, longer);                                             // longer than the reply: unchanged
    }

    [Fact]
    public async Task A_held_delayed_response_comes_after_the_hold_and_other_agents_are_not_held()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        ospm.Platform.Faults.Add(new FaultSpec(FaultKind.HoldDelayed, Agent: "OSPM", Protocol: (byte)ScmiProtocolId.SENSOR) { Delay = TimeSpan.FromMilliseconds(600) });
        // vdd_cpu_curr (3) reads asynchronously; flags bit 0 asks for it.
        var read = new ScmiHeader((byte)SensorMessageId.SENSOR_READING_GET, ScmiMessageType.COMMAND, (byte)ScmiProtocolId.SENSOR, 7);
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(ospm.Raw(BaseAndDispatchTests.Words(read.Value, 3, 1)).AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(guest.Raw(BaseAndDispatchTests.Words(read.Value, 3, 1)).AsSpan(4)));
        ospm.Session.RepliesDelivered(ospm.Session.CommandsHandled);
        guest.Session.RepliesDelivered(guest.Session.CommandsHandled);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var guestDelayed = await guest.Session.Outbox.ReadAsync(timeout.Token);
        var guestAt = watch.Elapsed;
        var ospmDelayed = await ospm.Session.Outbox.ReadAsync(timeout.Token);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(590), $"held only {watch.Elapsed.TotalMilliseconds} ms");
        Assert.True(guestAt < watch.Elapsed, "the guest's delayed response was held too");
        Assert.Equal(ScmiMessageType.DELAYED_RESPONSE, ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(ospmDelayed)).Type);
        Assert.Equal(ScmiMessageType.DELAYED_RESPONSE, ScmiHeader.FromValueUnchecked(BinaryPrimitives.ReadUInt32LittleEndian(guestDelayed)).Type);
    }

    [Fact]
    public async Task A_flood_sends_its_count_of_notifications_naming_the_agents_own_resource_subscribed_or_not()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        var id = ospm.Platform.Faults.Add(new FaultSpec(FaultKind.Flood, Agent: "guest", Protocol: (byte)ScmiProtocolId.PERF, Message: (byte)PerfNotificationId.PERFORMANCE_LEVEL_CHANGED)
        {
            Rate = 500, Count = 40, Resource = 1,
        });
        var deadline = Stopwatch.StartNew();
        while (ospm.Platform.Faults.List()[0].Remaining != 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(20);
        await Task.Delay(100);
        var received = Drain(guest.Session);
        Assert.Equal(40, received.Count);
        Assert.All(received, m => Assert.Equal("PERFORMANCE_LEVEL_CHANGED", m.Name));
        Assert.All(received, m => Assert.Equal(1ul, m.Fields.GetUInt64("domain_id")));
        Assert.Empty(Drain(ospm.Session));                       // another agent: nothing
        Assert.True(ospm.Platform.Faults.Remove(id));
    }

    [Fact]
    public void A_flood_beyond_the_backlog_drops_and_counts_and_clearing_it_stops_it()
    {
        var h = new Harness(agentId: 2);
        var id = h.Platform.Faults.Add(new FaultSpec(FaultKind.Flood, Protocol: (byte)ScmiProtocolId.SENSOR, Message: 0x00) { Rate = 10_000 });
        var deadline = Stopwatch.StartNew();
        while (h.Session.DroppedNotifications == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(10);
        Assert.True(h.Session.DroppedNotifications > 0);
        Assert.Equal(AgentSession.NotificationBacklog, h.Session.QueuedNotifications);
        h.Platform.Faults.Remove(id);
        var applied = h.Platform.Faults.List().Count;
        Assert.Equal(0, applied);
        Drain(h.Session);
        Thread.Sleep(100);
        Assert.True(Drain(h.Session).Count <= 1000, "the flood kept going after it was cleared"); // at most a tick in flight
        Thread.Sleep(100);
        Assert.Empty(Drain(h.Session));
    }

    [Fact]
    public void Withheld_events_wait_until_cleared_then_go_out_in_order_and_other_agents_get_theirs()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        foreach (var h in new[] { ospm, guest })
            h.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 5), ("notify_enable", 1));
        var id = ospm.Platform.Faults.Add(new FaultSpec(FaultKind.Withhold, Agent: "guest"));
        ospm.Platform.InjectClockRate(5, 10_000_000);
        ospm.Platform.InjectClockRate(5, 50_000_000);
        Assert.Equal(2, Drain(ospm.Session).Count);
        Assert.Empty(Drain(guest.Session));
        Assert.Equal(2, guest.Session.WithheldMessages);
        var late = new Harness(ospm.Platform, agentId: 2);    // a channel opened meanwhile is withheld too
        late.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 5), ("notify_enable", 1));
        ospm.Platform.InjectClockRate(5, 25_000_000);
        Assert.Empty(Drain(late.Session));

        Assert.True(ospm.Platform.Faults.Remove(id));
        Assert.Equal([10_000_000ul, 50_000_000ul, 25_000_000ul], Drain(guest.Session).Select(m => m.Fields.GetUInt64("rate")));
        Assert.Equal([25_000_000ul], Drain(late.Session).Select(m => m.Fields.GetUInt64("rate")));
        Assert.Equal(0, guest.Session.WithheldMessages);
    }

    [Fact]
    public void A_sensor_value_is_read_crosses_a_trip_point_at_once_and_clearing_restores_the_source()
    {
        var time = new ManualTime();
        var h = new Harness(time: time);
        h.Ok(SensorMessageId.SENSOR_TRIP_POINT_NOTIFY, ("sensor_id", 0), ("event_control", 1));
        h.Ok(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0), ("direction", 1), ("trip_point_id", 0), ("trip_point_value", 90000));
        h.Platform.SampleSensors();  // baseline 45000
        Drain(h.Session);

        var id = h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 0, Value = 95000 });
        Assert.Equal(["SENSOR 0x15 SENSOR_TRIP_POINT_EVENT notification agent_id=0 sensor_id=0 trip_point_id=0 direction=up"], Drain(h.Session).Select(ScmiFormatter.Format));
        Assert.Equal(95000ul, h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)).GetRecords("readings").Single().GetUInt64("value"));
        h.Platform.Faults.Remove(id);
        Assert.Equal(45000ul, h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0)).GetRecords("readings").Single().GetUInt64("value"));
    }

    [Fact]
    public void A_sensor_ramp_moves_with_the_platforms_clock()
    {
        var time = new ManualTime();
        var h = new Harness(time: time);
        h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 1, Value = 50000, RampTo = 100000, Delay = TimeSpan.FromSeconds(10) });
        ulong Read() => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 1), ("async", 0)).GetRecords("readings").Single().GetUInt64("value");
        Assert.Equal(50000ul, Read());
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(70000ul, Read());
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(100000ul, Read());
    }

    [Fact]
    public void Platform_limits_notify_pull_the_level_inside_and_are_what_limits_get_reads()
    {
        var h = new Harness();
        h.Ok(PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, ("domain_id", 1), ("notify_enable", 1));
        h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2400));
        Drain(h.Session);
        Assert.Equal(1, h.Platform.InjectPerfLimits(1, 800, 1600));
        Assert.Equal(["PERF 0x13 PERFORMANCE_LIMITS_CHANGED notification agent_id=0 domain_id=1 range_max=1600 range_min=800"], Drain(h.Session).Select(ScmiFormatter.Format));
        Assert.Equal(1600ul, h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level"));
        var limits = h.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 1));
        Assert.Equal((1600ul, 800ul), (limits.GetUInt64("range_max"), limits.GetUInt64("range_min")));
        Assert.Contains("within the OPP levels", Assert.Throws<ArgumentException>(() => h.Platform.InjectPerfLimits(1, 100, 200)).Message, StringComparison.Ordinal);
        Assert.Contains("performance domain 9", Assert.Throws<ArgumentException>(() => h.Platform.InjectPerfLimits(9, 800, 800)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_platform_clock_rate_change_notifies_and_is_read_back()
    {
        var h = new Harness();
        h.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 6), ("notify_enable", 1));
        Assert.Equal(1, h.Platform.InjectClockRate(6, 740_000_000));       // rounded to the 50 MHz grid
        Assert.Equal(["CLOCK 0x14 CLOCK_RATE_CHANGED notification agent_id=0 clock_id=6 rate=750000000"], Drain(h.Session).Select(ScmiFormatter.Format));
        Assert.Equal(750_000_000ul, h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)).GetUInt64("rate"));
        Assert.Contains("outside clock gpu_core", Assert.Throws<ArgumentException>(() => h.Platform.InjectClockRate(6, 5)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Platform_power_state_and_reset_events_reach_their_subscribers_only()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        ospm.Ok(PowerMessageId.POWER_STATE_NOTIFY, ("domain_id", 1), ("notify_enable", 1));
        ospm.Ok(ResetMessageId.RESET_NOTIFY, ("domain_id", 0), ("notify_enable", 1));
        Assert.Equal(1, ospm.Platform.InjectPowerState(1, on: true));
        Assert.Equal(1, ospm.Platform.InjectReset(0));
        Assert.Equal(["POWER_STATE_CHANGED", "RESET_ISSUED"], Drain(ospm.Session).Select(m => m.Name));
        Assert.Empty(Drain(guest.Session));
        Assert.Throws<ArgumentException>(() => ospm.Platform.InjectReset(99));
    }

    [Fact]
    public void A_platform_system_power_request_goes_to_the_subscribed_agent_named()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        foreach (var h in new[] { ospm, guest })
            h.Ok(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1));
        Assert.Equal(1, ospm.Platform.InjectSystemPower(0, graceful: true, timeoutMs: 30_000, agent: 2));
        Assert.Empty(Drain(ospm.Session));
        var notifier = Assert.Single(Drain(guest.Session));
        Assert.Equal("SYSTEM_POWER_STATE_NOTIFIER", notifier.Name);
        Assert.Equal((0ul, 1ul, 0ul, 30_000ul), (notifier.Fields.GetUInt64("agent_id"), notifier.Fields.GetUInt64("graceful"), notifier.Fields.GetUInt64("system_state"), notifier.Fields.GetUInt64("timeout_ms")));
        Assert.Equal(2, ospm.Platform.InjectSystemPower(1, graceful: false, timeoutMs: 0));
        Assert.Contains("system state 3", Assert.Throws<ArgumentException>(() => ospm.Platform.InjectSystemPower(3, true, 0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_platform_error_event_carries_its_reports()
    {
        var h = new Harness();
        h.Ok(BaseMessageId.BASE_NOTIFY_ERRORS, ("notify_enable", 1));
        Assert.Equal(1, h.Platform.InjectErrorEvent(2, fatal: true, [5, 7]));
        var report = Assert.Single(Drain(h.Session));
        Assert.Equal("BASE_ERROR_EVENT", report.Name);
        Assert.Equal((2ul, 1ul), (report.Fields.GetUInt64("agent_id"), report.Fields.GetUInt64("fatal")));
        Assert.Equal(new ulong[] { 5, 7 }, report.Fields.GetNumbers("reports"));
        Assert.Throws<ArgumentException>(() => h.Platform.InjectErrorEvent(0, false, new ulong[9]));
    }

    [Fact]
    public void Revoking_a_device_at_run_time_denies_its_resources_from_the_next_command()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        var gpu = ospm.Platform.Model.Devices.ToList().FindIndex(d => d.Name == "gpu");
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        ospm.Platform.InjectPermissions(2, gpu, ScmiProtocolId.CLOCK, allow: false);
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        Assert.Equal(ScmiStatus.SUCCESS, ospm.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));   // the others keep it
        ospm.Platform.InjectPermissions(2, gpu, ScmiProtocolId.CLOCK, allow: true);
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        Assert.Contains("device 99", Assert.Throws<ArgumentException>(() => ospm.Platform.InjectPermissions(2, 99, null, false)).Message, StringComparison.Ordinal);
        Assert.Contains("agent 0", Assert.Throws<ArgumentException>(() => ospm.Platform.InjectPermissions(0, gpu, null, false)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FaultKind.Truncate, "bytes 0")]
    [InlineData(FaultKind.Flood, "name the notification")]
    [InlineData(FaultKind.Sensor, "name the sensor")]
    [InlineData(FaultKind.Late, "at most 30 s")]
    public void Invalid_injections_are_refused_naming_the_value(FaultKind kind, string expected)
    {
        var spec = new FaultSpec(kind) { Bytes = 0, Delay = TimeSpan.FromSeconds(31) } with { };
        if (kind == FaultKind.Sensor)
            spec = new FaultSpec(kind);
        var platform = new ScmiPlatform(Model.ModelLoader.LoadDefault());
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => platform.Faults.Add(spec)).Message, StringComparison.Ordinal);
        Assert.Contains("the model has 6 sensor", Assert.Throws<ArgumentException>(() => platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 6 })).Message, StringComparison.Ordinal);
        Assert.Contains("needs a platform", Assert.Throws<ArgumentException>(() => new FaultInjector().Add(new FaultSpec(FaultKind.Withhold))).Message, StringComparison.Ordinal);
        Assert.Empty(platform.Faults.List());
    }
}
