using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// Defects found by trying vscmi as a conformance suite and real Linux guests would (issue 11):
/// each test here failed before its fix.
/// </summary>
public class ConformanceTests
{
    private readonly Harness _h = new();

    private ScmiMessage NextMessage(AgentSession? session = null)
    {
        session ??= _h.Session;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var bytes = session.Outbox.ReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
        session.MessageDelivered(bytes);
        return ScmiMessageCodec.Decode(bytes, ScmiMessageKind.DelayedResponse);
    }

    private ulong Rate(uint clock) => _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", clock)).GetUInt64("rate");

    private ScmiStatus SetRate(uint clock, ulong rate, uint rounding, uint async = 0) =>
        _h.Status(ClockMessageId.CLOCK_RATE_SET, ("async", async), ("rounding", rounding), ("clock_id", clock), ("rate", rate));

    /// <summary>
    /// CLOCK PROTOCOL_ATTRIBUTES advertises 16 pending asynchronous rate sets for the whole protocol,
    /// and Linux then sets the flag on every clk_set_rate: every clock must accept it. Before the fix
    /// 7 of the 8 default clocks answered NOT_SUPPORTED and the guest's rate silently stayed.
    /// </summary>
    [Theory]
    [InlineData(0u, 24000000ul)]
    [InlineData(1u, 1000000000ul)]
    [InlineData(3u, 400000000ul)]
    [InlineData(4u, 48000000ul)]
    [InlineData(5u, 25000000ul)]
    [InlineData(6u, 800000000ul)]
    [InlineData(7u, 297000000ul)]
    public void Every_clock_accepts_an_asynchronous_rate_set_and_completes_it_with_a_delayed_response(uint clock, ulong rate)
    {
        Assert.Equal((ulong)AgentSession.MaxPendingAsync, _h.Ok(ClockMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("max_async_requests"));
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(clock, rate, rounding: 0, async: 1));
        // No latency in the model: the change is made with the command, the delayed response follows it.
        Assert.Equal(rate, Rate(clock));
        var delayed = NextMessage();
        Assert.Equal(ScmiMessageType.DELAYED_RESPONSE, delayed.Header.Type);
        Assert.Equal(("CLOCK_RATE_SET", (ulong)clock, rate), (delayed.Name, delayed.Fields.GetUInt64("clock_id"), delayed.Fields.GetUInt64("rate")));
    }

    [Fact]
    public void Asynchronous_sets_on_clocks_without_latency_still_hold_the_per_agent_bound()
    {
        // Nobody collects the delayed responses: the seventeenth pending one is BUSY.
        for (var i = 0; i < AgentSession.MaxPendingAsync; i++)
            Assert.Equal(ScmiStatus.SUCCESS, SetRate(4, i % 2 == 0 ? 24000000ul : 48000000ul, rounding: 0, async: 1));
        Assert.Equal(ScmiStatus.BUSY, SetRate(4, 48000000, rounding: 0, async: 1));
        NextMessage();
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(4, 48000000, rounding: 0, async: 1));
    }

    [Fact]
    public void No_resource_refuses_an_asynchronous_command_its_attributes_advertise()
    {
        // Protocols with a per-resource async bit (sensor 31, reset 31, voltage 31, power 30,
        // powercap 29): every resource advertising it must accept it, and none that refuses it may advertise it.
        foreach (var sensor in _h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors"))
        {
            var id = sensor.GetUInt64("sensor_id");
            var status = _h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", id), ("async", 1));
            Assert.Equal(sensor.GetUInt64("async_read") == 1 ? ScmiStatus.SUCCESS : ScmiStatus.NOT_SUPPORTED, status);
        }

        for (uint domain = 0; domain < _h.Ok(VoltageMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"); domain++)
        {
            var attributes = _h.Ok(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, ("domain_id", domain));
            var level = _h.Ok(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", domain)).GetInt64("voltage_level_uv");
            var status = _h.Status(VoltageMessageId.VOLTAGE_LEVEL_SET, ("domain_id", domain), ("async", 1), ("voltage_level_uv", level));
            Assert.Equal(attributes.GetUInt64("async_level_set") == 1 ? ScmiStatus.SUCCESS : ScmiStatus.NOT_SUPPORTED, status);
        }
    }

    /// <summary>
    /// One rounding rule for both kinds (docs/conformance.md): below the lowest or above the highest
    /// supported rate is OUT_OF_RANGE; in between, rounded to a supported rate. Before the fix a
    /// discrete clock clamped any request (1.7 GHz became 48 MHz on uart0) while a range refused it.
    /// </summary>
    [Theory]
    // discrete uart0 [24 MHz, 48 MHz]: at each end, just beyond, far beyond, between
    [InlineData(4u, 24000000ul, 0u, 24000000ul)]
    [InlineData(4u, 24000000ul, 1u, 24000000ul)]
    [InlineData(4u, 48000000ul, 0u, 48000000ul)]
    [InlineData(4u, 48000000ul, 1u, 48000000ul)]
    [InlineData(4u, 30000000ul, 0u, 24000000ul)]
    [InlineData(4u, 30000000ul, 1u, 48000000ul)]
    [InlineData(4u, 30000000ul, 2u, 24000000ul)]
    [InlineData(4u, 40000000ul, 2u, 48000000ul)]
    [InlineData(4u, 23999999ul, 1u, null)]
    [InlineData(4u, 23999999ul, 2u, null)]
    [InlineData(4u, 48000001ul, 0u, null)]
    [InlineData(4u, 48000001ul, 2u, null)]
    [InlineData(4u, 1700000000ul, 0u, null)]
    [InlineData(4u, 1ul, 1u, null)]
    // range gpu_core [200 MHz, 1 GHz] step 50 MHz
    [InlineData(6u, 200000000ul, 0u, 200000000ul)]
    [InlineData(6u, 1000000000ul, 1u, 1000000000ul)]
    [InlineData(6u, 1000000000ul, 2u, 1000000000ul)]
    [InlineData(6u, 199999999ul, 1u, null)]
    [InlineData(6u, 1000000001ul, 0u, null)]
    [InlineData(6u, 1700000000ul, 0u, null)]
    [InlineData(6u, 1ul, 1u, null)]
    [InlineData(6u, 999999999ul, 1u, 1000000000ul)]
    [InlineData(6u, 200000001ul, 0u, 200000000ul)]
    public void Both_kinds_of_clock_round_by_one_rule(uint clock, ulong requested, uint rounding, ulong? expected)
    {
        var before = Rate(clock);
        var status = SetRate(clock, requested, rounding);
        Assert.Equal(expected is null ? ScmiStatus.OUT_OF_RANGE : ScmiStatus.SUCCESS, status);
        Assert.Equal(expected ?? before, Rate(clock));
    }

    [Fact]
    public void A_range_whose_max_is_off_the_step_grid_rounds_up_to_its_last_step()
    {
        var clock = new Model.ClockModel("odd", null, new Model.RateRange(100, 250, 100), 100, true, [], null, 0);
        Assert.Equal(200ul, Handlers.ClockHandler.Round(clock, 250, 1));
        Assert.Equal(200ul, Handlers.ClockHandler.Round(clock, 240, 2));
        Assert.Equal(200ul, Handlers.ClockHandler.Round(clock, 210, 1));
        Assert.Null(Handlers.ClockHandler.Round(clock, 251, 0));
    }

    [Fact]
    public void A_gated_session_holds_a_delayed_response_until_its_reply_is_delivered()
    {
        _h.Session.GateDelayedResponses = true;
        var held = 0;
        _h.Session.DelayedResponseHeld = () => held++;
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(4, 48000000, rounding: 0, async: 1));
        var command = _h.Session.CommandsHandled;

        Assert.False(_h.Session.Outbox.TryRead(out _));
        Assert.Equal((1, 1), (held, _h.Session.HeldDelayedResponses));
        _h.Session.RepliesDelivered(command - 1);
        Assert.False(_h.Session.Outbox.TryRead(out _));

        _h.Session.RepliesDelivered(command);
        Assert.Equal(0, _h.Session.HeldDelayedResponses);
        Assert.Equal("CLOCK_RATE_SET", NextMessage().Name);

        // A reply already delivered lets the next one straight through.
        _h.Session.RepliesDelivered(command + 1);
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(4, 24000000, rounding: 0, async: 1));
        Assert.Equal(0, _h.Session.HeldDelayedResponses);
        Assert.Equal("CLOCK_RATE_SET", NextMessage().Name);

        // The transport's bounded wait ran out: everything held goes.
        Assert.Equal(ScmiStatus.SUCCESS, SetRate(4, 48000000, rounding: 0, async: 1));
        Assert.Equal(1, _h.Session.HeldDelayedResponses);
        _h.Session.ReleaseHeldDelayedResponses();
        Assert.Equal("CLOCK_RATE_SET", NextMessage().Name);
    }
}

/// <summary>vscmi's vendor protocol: a host asks one VM for an orderly shutdown or reboot.</summary>
public class AgentSystemPowerTests
{
    private readonly Harness _ospm = new();

    [Fact]
    public async Task A_trusted_agent_asks_one_agent_for_a_graceful_shutdown_and_only_that_agent_hears_it()
    {
        var guest = new Harness(_ospm.Platform, agentId: 2);
        var sandbox = new Harness(_ospm.Platform, agentId: 3);
        guest.Ok(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1));
        sandbox.Ok(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1));

        Assert.Equal(ScmiStatus.SUCCESS, _ospm.Status(VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY, ("agent_id", 2), ("graceful", 1), ("system_state", 0), ("timeout_ms", 30000)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var notifier = ScmiMessageCodec.Decode(await guest.Session.Outbox.ReadAsync(timeout.Token), ScmiMessageKind.Notification);
        Assert.Equal("SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFIER notification agent_id=1 graceful=1 system_state=shutdown timeout_ms=30000", ScmiFormatter.Format(notifier));
        Assert.False(sandbox.Session.Outbox.TryRead(out _));
        Assert.Equal(3u, _ospm.Platform.State.SystemState); // the platform itself keeps running
        Assert.Equal(ScmiStatus.SUCCESS, _ospm.Status(VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY, ("agent_id", 2), ("graceful", 1), ("system_state", 1), ("timeout_ms", 0)));
    }

    [Theory]
    [InlineData(9u, 0u, ScmiStatus.NOT_FOUND)]
    [InlineData(0u, 0u, ScmiStatus.NOT_FOUND)]
    [InlineData(2u, 3u, ScmiStatus.INVALID_PARAMETERS)]    // power up is not a request
    [InlineData(2u, 5u, ScmiStatus.INVALID_PARAMETERS)]    // reserved
    [InlineData(3u, 0u, ScmiStatus.NOT_SUPPORTED)]         // no channel of the sandbox listens
    public void Bad_requests_get_their_status(uint agent, uint state, ScmiStatus expected) =>
        Assert.Equal(expected, _ospm.Status(VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY, ("agent_id", agent), ("graceful", 1), ("system_state", state), ("timeout_ms", 0)));

    [Fact]
    public void Untrusted_agents_neither_see_nor_reach_the_vendor_protocol()
    {
        var guest = new Harness(_ospm.Platform, agentId: 2);
        Assert.DoesNotContain(0x80ul, guest.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols"));
        var header = new ScmiHeader(0x3, ScmiMessageType.COMMAND, 0x80, 1);
        Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, BitConverter.ToInt32(guest.Raw(BaseAndDispatchTests.Words(header.Value, 1, 1, 0, 0)), 4));
        Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, BitConverter.ToInt32(guest.Raw(BaseAndDispatchTests.Words(new ScmiHeader(0x0, ScmiMessageType.COMMAND, 0x80, 2).Value)), 4));
    }
}
