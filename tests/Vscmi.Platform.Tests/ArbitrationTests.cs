using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Shared resources between two agents, as a real SCP arbitrates them.</summary>
public class ArbitrationTests
{
    private readonly Harness _ospm = new();
    private readonly Harness _guest;

    public ArbitrationTests() => _guest = new Harness(_ospm.Platform, agentId: 2);

    private static ulong Level(Harness h) => h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level");

    [Fact]
    public void The_highest_performance_request_wins_within_the_limits()
    {
        _ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2000));
        _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 1200));
        Assert.Equal((2000ul, 2000ul), (Level(_ospm), Level(_guest)));

        _ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 800));
        Assert.Equal(1200ul, Level(_ospm)); // the guest still wants 1200

        _ospm.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 1200), ("range_min", 800));
        _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 1200));
        _ospm.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 2800), ("range_min", 2000));
        Assert.Equal(2000ul, Level(_ospm)); // both requests are below the new minimum: the lowest level inside

        _ospm.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 2800), ("range_min", 800));
        Assert.Equal(1200ul, Level(_ospm));
        _ospm.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0));
        Assert.Equal(800ul, Level(_ospm)); // the guest's request is gone: OSPM's 800 is all that is left
    }

    [Fact]
    public void Level_notifications_follow_the_level_in_force_not_each_request()
    {
        _ospm.Ok(PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, ("domain_id", 1), ("notify_enable", 1));
        _ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2400));
        _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 800)); // no change in force
        var count = 0;
        while (_ospm.Session.Outbox.TryRead(out _))
            count++;
        Assert.Equal(1, count);
    }

    [Fact]
    public void A_reset_held_by_one_agent_is_that_agents_until_it_lets_go()
    {
        ScmiStatus Reset(Harness h, uint autonomous, uint assert) => h.Status(ResetMessageId.RESET,
            ("domain_id", 2), ("autonomous", autonomous), ("explicit_assert", assert), ("async", 0), ("reset_id", 0), ("reset_type", 0));

        Assert.Equal(ScmiStatus.SUCCESS, Reset(_ospm, 0, 1));
        Assert.Equal(ScmiStatus.DENIED, Reset(_guest, 0, 0));   // cannot release another agent's hold
        Assert.Equal(ScmiStatus.DENIED, Reset(_guest, 1, 0));   // nor pulse it
        Assert.True(_ospm.Platform.State.Resets[2].Asserted);
        Assert.Equal(ScmiStatus.SUCCESS, Reset(_ospm, 0, 0));
        Assert.Equal(ScmiStatus.SUCCESS, Reset(_guest, 0, 1));
        _ospm.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0));
        Assert.False(_ospm.Platform.State.Resets[2].Asserted); // the guest's hold ends with its configuration
        Assert.Equal(ScmiStatus.SUCCESS, Reset(_ospm, 1, 0));
    }

    [Fact]
    public void A_clock_runs_while_any_agent_has_it_enabled()
    {
        static bool EnabledFor(Harness h) => h.Ok(ClockMessageId.CLOCK_CONFIG_GET, ("clock_id", 0), ("extended_config_type", 0)).GetUInt64("enabled") != 0;
        var clock = _ospm.Platform.State.Clocks[0];
        Assert.True(clock.Enabled);

        _ospm.Ok(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 0), ("state", 0), ("extended_config_type", 0), ("extended_config_val", 0));
        Assert.Equal((false, true, true), (EnabledFor(_ospm), EnabledFor(_guest), clock.Enabled));
        Assert.Equal(0ul, _ospm.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0)).GetUInt64("enabled"));

        _guest.Ok(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 0), ("state", 0), ("extended_config_type", 0), ("extended_config_val", 0));
        Assert.False(clock.Enabled);

        _ospm.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0));
        Assert.Equal((true, true), (EnabledFor(_guest), clock.Enabled)); // the guest's vote is back to the model's
    }
}
