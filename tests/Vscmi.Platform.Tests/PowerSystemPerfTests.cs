using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

public class PowerSystemPerfTests
{
    private const uint On = 0;
    private const uint Off = 0x40000000;
    private readonly Harness _h = new();

    private ulong State(uint domain)
    {
        var f = _h.Ok(PowerMessageId.POWER_STATE_GET, ("domain_id", domain));
        return (f.GetUInt64("state_type") << 30) | f.GetUInt64("state_id");
    }

    private ScmiStatus SetState(uint domain, uint state, uint async = 0) => _h.Status(PowerMessageId.POWER_STATE_SET,
        ("async", async), ("domain_id", domain), ("state_id", state & 0x0FFFFFFF), ("state_type", state >> 30));

    [Fact]
    public void Power_attributes_describe_each_domain()
    {
        Assert.Equal(4ul, _h.Ok(PowerMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"));
        var gpu = _h.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 0));
        Assert.Equal("gpu", gpu.GetText("name"));
        Assert.Equal(1ul, gpu.GetUInt64("sync_state_set"));
        Assert.Equal(1ul, gpu.GetUInt64("async_state_set")); // async_latency_us in the default model
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 4)));
        Assert.Equal("vpu", _h.Ok(PowerMessageId.POWER_DOMAIN_NAME_GET, ("domain_id", 2)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PowerMessageId.POWER_DOMAIN_NAME_GET, ("domain_id", 99)));
    }

    [Fact]
    public async Task An_asynchronous_power_state_set_applies_later_without_a_delayed_response()
    {
        Assert.Equal(1ul, _h.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("async_state_set"));
        Assert.Equal(0ul, _h.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 3)).GetUInt64("async_state_set"));
        _h.Ok(PowerMessageId.POWER_STATE_NOTIFY, ("domain_id", 0), ("notify_enable", 1));
        new Harness(_h.Platform, agentId: 2).Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 1)); // the guest lets go first
        Assert.Equal(ScmiStatus.SUCCESS, SetState(0, Off, async: 1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var changed = ScmiMessageCodec.Decode(await _h.Session.Outbox.ReadAsync(timeout.Token), ScmiMessageKind.Notification);
        Assert.Equal("POWER 0x11 POWER_STATE_CHANGED notification agent_id=1 domain_id=0 state_id=0x0 state_type=off", ScmiFormatter.Format(changed));
        Assert.Equal(Off, State(0));
        Assert.False(_h.Session.Outbox.TryRead(out _)); // and no delayed response
    }

    [Fact]
    public void A_power_state_set_reads_back_exactly()
    {
        Assert.Equal(On, State(0));
        Assert.Equal(ScmiStatus.SUCCESS, SetState(0, Off));
        Assert.Equal(Off, State(0));
        Assert.Equal(ScmiStatus.SUCCESS, SetState(0, On));
        Assert.Equal(On, State(0));
    }

    [Fact]
    public void Powering_a_child_powers_its_parent_and_a_parent_stays_on_while_a_child_is_on()
    {
        var physical = _h.Platform.State.Power;
        Assert.False(physical[1].On);
        Assert.Equal(ScmiStatus.SUCCESS, SetState(2, On));
        Assert.True(physical[1].On);                       // media powers up for vpu...
        Assert.Equal(Off, State(1));                       // ...though this agent never asked for media itself
        Assert.Equal(ScmiStatus.SUCCESS, SetState(1, Off));
        Assert.True(physical[1].On);                       // still needed by vpu
        Assert.Equal(ScmiStatus.SUCCESS, SetState(2, Off));
        Assert.False(physical[1].On);
        Assert.False(physical[2].On);
    }

    [Fact]
    public void A_domain_stays_on_while_any_agent_needs_it_and_each_agent_reads_its_own_request()
    {
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.SUCCESS, SetState(0, Off));
        Assert.Equal((Off, 0ul, true), (State(0), guest.Ok(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)).GetUInt64("state_type"), _h.Platform.State.Power[0].On));
        guest.Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", 0), ("state_id", 0), ("state_type", 1));
        Assert.False(_h.Platform.State.Power[0].On);       // the sandbox cannot see gpu: it keeps nothing on
        _h.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0));
        Assert.True(_h.Platform.State.Power[0].On);        // the guest's vote is back to the model's "on"
    }

    [Fact]
    public void Power_state_set_errors()
    {
        Assert.Equal(ScmiStatus.NOT_FOUND, SetState(4, On));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, SetState(3, On, async: 1)); // usb has no async latency
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, SetState(0, 0x1));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, SetState(0, Off | 0x5));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PowerMessageId.POWER_STATE_GET, ("domain_id", 4)));
        Assert.Equal(On, State(0));
    }

    [Theory]
    [InlineData(PowerMessageId.POWER_STATE_NOTIFY)]
    [InlineData(PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY)]
    public void Power_notify_commands_record_subscriptions(PowerMessageId command)
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(command, ("domain_id", 1), ("notify_enable", 1)));
        Assert.True(_h.Session.IsSubscribed(0x11, (byte)command, 1));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(command, ("domain_id", 1), ("notify_enable", 0)));
        Assert.False(_h.Session.IsSubscribed(0x11, (byte)command, 1));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(command, ("domain_id", 7), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, new Harness(hasP2A: false).Status(command, ("domain_id", 1), ("notify_enable", 1)));
    }

    [Fact]
    public void System_power_advertises_warm_reset_and_suspend_and_only_trusted_agents_set_it()
    {
        Assert.Equal(0xC0000000ul, _h.Ok(SystemMessageId.PROTOCOL_MESSAGE_ATTRIBUTES, ("message_id", 3)).GetUInt64("attributes"));
        Assert.Equal(3ul, _h.Ok(SystemMessageId.SYSTEM_POWER_STATE_GET).GetUInt64("system_state"));
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.DENIED, guest.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 1), ("system_state", 0)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 1), ("system_state", 2)));
        Assert.Equal(2ul, _h.Ok(SystemMessageId.SYSTEM_POWER_STATE_GET).GetUInt64("system_state"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 0), ("system_state", 3)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 0), ("system_state", 0x80000000u)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, new Harness(hasP2A: false).Status(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1)));
    }

    [Fact]
    public void A_model_without_warm_reset_refuses_it()
    {
        var text = Vscmi.Platform.Model.ModelLoader.DefaultModelText.Replace("warm_reset = true", "warm_reset = false", StringComparison.Ordinal);
        var h = new Harness(Vscmi.Platform.Model.ModelLoader.Load(text, "m.toml"));
        Assert.Equal(0x40000000ul, h.Ok(SystemMessageId.PROTOCOL_MESSAGE_ATTRIBUTES, ("message_id", 3)).GetUInt64("attributes"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, h.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 1), ("system_state", 2)));
    }

    [Fact]
    public void Perf_domains_describe_themselves()
    {
        var attributes = _h.Ok(PerfMessageId.PROTOCOL_ATTRIBUTES);
        Assert.Equal((2ul, 1ul), (attributes.GetUInt64("num_domains"), attributes.GetUInt64("power_mw")));
        var big = _h.Ok(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, ("domain_id", 1));
        Assert.Equal("big", big.GetText("name"));
        Assert.Equal((1ul, 1ul, 0ul), (big.GetUInt64("set_limits"), big.GetUInt64("set_level"), big.GetUInt64("fast_channels")));
        Assert.Equal((2400000ul, 2400ul, 1000ul), (big.GetUInt64("sustained_freq_khz"), big.GetUInt64("sustained_perf_level"), big.GetUInt64("rate_limit_us")));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, ("domain_id", 2)));
        Assert.Equal("little", _h.Ok(PerfMessageId.PERFORMANCE_DOMAIN_NAME_GET, ("domain_id", 0)).GetText("name"));
    }

    [Fact]
    public void Perf_levels_are_v4_entries_with_index_and_frequency()
    {
        var reply = _h.Ok(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", 0));
        var levels = reply.GetRecords("levels");
        Assert.Equal(new ulong[] { 500, 800, 1200, 1500, 1800 }, levels.Select(l => l.GetUInt64("performance_level")));
        Assert.Equal(new ulong[] { 500000, 800000, 1200000, 1500000, 1800000 }, levels.Select(l => l.GetUInt64("indicative_frequency_khz")));
        Assert.Equal(new ulong[] { 0, 1, 2, 3, 4 }, levels.Select(l => l.GetUInt64("level_index")));
        Assert.Equal(300ul, levels[0].GetUInt64("transition_latency_us"));
        Assert.Equal(0ul, reply.GetUInt64("remaining"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", 5)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", 5), ("level_index", 0)));
    }

    [Fact]
    public void Perf_level_moves_within_its_limits()
    {
        Assert.Equal(1200ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1800)));
        Assert.Equal(1800ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 0), ("range_max", 1200), ("range_min", 800)));
        var limits = _h.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 0));
        Assert.Equal((1200ul, 800ul), (limits.GetUInt64("range_max"), limits.GetUInt64("range_min")));
        Assert.Equal(1200ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1500)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 1000)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 9), ("performance_level", 800)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 9)));
        Assert.Equal(1200ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)).GetUInt64("performance_level"));
    }

    [Fact]
    public void Perf_limit_errors_leave_the_limits_unchanged()
    {
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 800), ("range_min", 1200)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 9000), ("range_min", 800)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 900), ("range_min", 850)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 2), ("range_max", 900), ("range_min", 800)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 2)));
        var limits = _h.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 1));
        Assert.Equal((2800ul, 800ul), (limits.GetUInt64("range_max"), limits.GetUInt64("range_min")));
    }

    [Fact]
    public void Perf_notify_and_fast_channel_commands()
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, ("domain_id", 0), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, ("domain_id", 1), ("notify_enable", 1)));
        Assert.True(_h.Session.IsSubscribed(0x13, (byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, 1));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, ("domain_id", 3), ("notify_enable", 1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, ("domain_id", 0), ("message_id", 7)));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, ("domain_id", 0), ("message_id", 3)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, ("domain_id", 2), ("message_id", 7)));
    }
}
