using System.Buffers.Binary;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Asynchronous commands: the immediate SUCCESS, then the delayed response on the P2A path.</summary>
public class DelayedResponseTests
{
    private readonly Harness _h = new();

    /// <summary>The next message of the outbox, waiting as long as it takes (bounded).</summary>
    private ScmiMessage NextDelayed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var bytes = _h.Session.Outbox.ReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
        _h.Session.MessageDelivered(bytes);
        return ScmiMessageCodec.Decode(bytes, ScmiMessageKind.DelayedResponse);
    }

    [Fact]
    public void Clock_rate_set_completes_with_a_delayed_response_carrying_the_same_token()
    {
        var request = BaseAndDispatchTests.Words(0x01D45005, 0x9, 2, 2000000000, 0); // token 117, async, round closest, pll_big
        var reply = _h.Raw(request);
        Assert.Equal(BaseAndDispatchTests.Words(0x01D45005, 0), reply);

        var delayed = NextDelayed();
        Assert.Equal("CLOCK 0x14 CLOCK_RATE_SET delayed-response token=117 status=SUCCESS clock_id=2 rate=2000000000", ScmiFormatter.Format(delayed));
        Assert.Equal(2000000000ul, _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 2)).GetUInt64("rate"));
    }

    [Fact]
    public void Ignore_delayed_response_applies_the_change_and_sends_nothing()
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_RATE_SET, ("async", 1), ("ignore_delayed_response", 1), ("rounding", 0), ("clock_id", 2), ("rate", 900000000ul)));
        for (var i = 0; i < 200 && _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 2)).GetUInt64("rate") != 900000000; i++)
            Thread.Sleep(10);
        Assert.Equal(900000000ul, _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 2)).GetUInt64("rate"));
        Assert.False(_h.Session.Outbox.TryRead(out _));
    }

    [Fact]
    public void Sensor_reset_and_voltage_delayed_responses()
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));
        var reading = NextDelayed();
        Assert.Equal(("SENSOR_READING_GET", 3ul), (reading.Name, reading.Fields.GetUInt64("sensor_id")));
        Assert.InRange(reading.Fields.GetRecords("readings").Single().GetInt64("value"), 200, 4000);

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ResetMessageId.RESET, ("domain_id", 0), ("autonomous", 1), ("explicit_assert", 0), ("async", 1), ("reset_id", 0), ("reset_type", 0)));
        Assert.Equal("RESET 0x16 RESET delayed-response token=1 status=SUCCESS domain_id=0", ScmiFormatter.Format(NextDelayed()));
        Assert.Equal(1u, _h.Platform.State.Resets[0].Count);

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 1), ("async", 1), ("voltage_level_uv", 1000000)));
        Assert.Equal("VOLTAGE 0x17 VOLTAGE_LEVEL_SET delayed-response token=2 status=SUCCESS domain_id=1 voltage_level_uv=1000000", ScmiFormatter.Format(NextDelayed()));
        Assert.Equal(1000000L, _h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 1)).GetInt64("voltage_level_uv"));
    }

    [Fact]
    public void Async_is_refused_where_not_advertised_and_errors_come_back_at_once()
    {
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 0), ("async", 1), ("voltage_level_uv", 900000)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(ClockMessageId.CLOCK_RATE_SET, ("async", 1), ("rounding", 0), ("clock_id", 2), ("rate", 1ul)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", 1), ("async", 1), ("voltage_level_uv", 1)));

        var noP2A = new Harness(hasP2A: false);
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, noP2A.Status(ClockMessageId.CLOCK_RATE_SET, ("async", 1), ("rounding", 0), ("clock_id", 2), ("rate", 900000000ul)));
        Assert.Equal(0ul, noP2A.Ok(ClockMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("max_async_requests"));
        Assert.Equal(0ul, noP2A.Ok(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("async_reset"));
        Assert.Equal((ulong)AgentSession.MaxPendingAsync, _h.Ok(ClockMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("max_async_requests"));
        Assert.Equal(1ul, _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors")[3].GetUInt64("async_read"));
    }

    [Fact]
    public void More_pending_async_commands_than_advertised_are_busy()
    {
        var statuses = new List<int>();
        for (var i = 0; i < AgentSession.MaxPendingAsync + 4; i++)
        {
            var reply = _h.Raw(BaseAndDispatchTests.Words(0x00005406 | ((uint)i << 18), 3, 1)); // async SENSOR_READING_GET
            statuses.Add(BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4)));
        }

        Assert.Equal(AgentSession.MaxPendingAsync, statuses.Count(s => s == 0));
        Assert.All(statuses.Skip(AgentSession.MaxPendingAsync), s => Assert.Equal((int)ScmiStatus.BUSY, s));
        var tokens = Enumerable.Range(0, AgentSession.MaxPendingAsync).Select(_ => NextDelayed().Header.Token).Order().ToList();
        Assert.Equal(Enumerable.Range(0, AgentSession.MaxPendingAsync).Select(i => (ushort)i), tokens);
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));
    }

    [Fact]
    public async Task Delayed_responses_nobody_collects_hold_their_slots_so_the_agent_cannot_grow_the_daemon()
    {
        for (var i = 0; i < AgentSession.MaxPendingAsync; i++)
            Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));

        // Take all sixteen delayed responses from the outbox (so they have certainly completed)
        // without delivering them, as a transport whose driver posted no eventq buffers holds them.
        var taken = new List<byte[]>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (taken.Count < AgentSession.MaxPendingAsync)
            taken.Add(await _h.Session.Outbox.ReadAsync(timeout.Token));
        Assert.Equal(ScmiStatus.BUSY, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));

        _h.Session.MessageDelivered(taken[0]); // one delivered: one slot free again
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));
        Assert.Equal(ScmiStatus.BUSY, _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));
    }
}
