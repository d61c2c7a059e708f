using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Changes made by one agent notify the sessions that subscribed (issue 5, first part).</summary>
public class NotificationTests
{
    private readonly Harness _ospm = new();
    private readonly Harness _guest;

    public NotificationTests() => _guest = new Harness(_ospm.Platform, agentId: 2);

    private static List<string> Drain(Harness h)
    {
        var lines = new List<string>();
        while (h.Session.Outbox.TryRead(out var message))
        {
            h.Session.MessageDelivered(message);
            lines.Add(ScmiFormatter.Format(ScmiMessageCodec.Decode(message, ScmiMessageKind.Notification)));
        }

        return lines;
    }

    public static TheoryData<string, string[], string> Cases => new()
    {
        {
            "POWER_STATE_NOTIFY domain_id=2",
            ["POWER_STATE_SET 2 on"],
            "POWER 0x11 POWER_STATE_CHANGED notification agent_id=2 domain_id=2 state_id=0x0 state_type=on"
        },
        {
            "POWER_STATE_CHANGE_REQUESTED_NOTIFY domain_id=3",
            ["POWER_STATE_SET 3 off"],
            "POWER 0x11 POWER_STATE_CHANGE_REQUESTED notification agent_id=2 domain_id=3 state_id=0x0 state_type=off"
        },
        {
            "PERFORMANCE_NOTIFY_LEVEL domain_id=1",
            ["PERFORMANCE_LEVEL_SET 1 2000"],
            "PERF 0x13 PERFORMANCE_LEVEL_CHANGED notification agent_id=2 domain_id=1 performance_level=2000"
        },
        {
            "PERFORMANCE_NOTIFY_LIMITS domain_id=1",
            ["PERFORMANCE_LIMITS_SET 1 2000 800"],
            "PERF 0x13 PERFORMANCE_LIMITS_CHANGED notification agent_id=2 domain_id=1 range_max=2000 range_min=800"
        },
        {
            "CLOCK_RATE_NOTIFY clock_id=3",
            ["CLOCK_RATE_SET 3 400000000"],
            "CLOCK 0x14 CLOCK_RATE_CHANGED notification agent_id=2 clock_id=3 rate=400000000"
        },
        {
            "CLOCK_RATE_CHANGE_REQUESTED_NOTIFY clock_id=3",
            ["CLOCK_RATE_SET 3 350000000"],
            "CLOCK 0x14 CLOCK_RATE_CHANGE_REQUESTED notification agent_id=2 clock_id=3 rate=350000000"
        },
        {
            "RESET_NOTIFY domain_id=1",
            ["RESET 1"],
            "RESET 0x16 RESET_ISSUED notification agent_id=2 domain_id=1 reset_id=0 reset_type=architectural"
        },
        {
            "SYSTEM_POWER_STATE_NOTIFY",
            ["SYSTEM_POWER_STATE_SET 1 0 by-ospm"],
            "SYSTEM 0x12 SYSTEM_POWER_STATE_NOTIFIER notification agent_id=1 graceful=1 system_state=shutdown timeout_ms=0"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Subscribe_trigger_receive_exactly_then_unsubscribe_and_receive_nothing(string subscription, string[] trigger, string expected)
    {
        Subscribe(_guest, subscription, enable: true); // the guest subscribes...
        Subscribe(_ospm, subscription, enable: true);  // ...and so does OSPM
        Trigger(trigger[0]);
        Assert.Equal([expected], Drain(_ospm));
        Assert.Equal([expected], Drain(_guest));

        Subscribe(_ospm, subscription, enable: false);
        Reverse(trigger[0]);
        Trigger(trigger[0]);
        Assert.Empty(Drain(_ospm));
        // The guest still hears the trigger (and, for some, the reversal before it).
        var guest = Drain(_guest);
        Assert.InRange(guest.Count, 1, 2);
        Assert.Equal(expected, guest[^1]);
    }

    [Fact]
    public void An_unchanged_state_is_not_notified_as_a_change()
    {
        Subscribe(_ospm, "CLOCK_RATE_NOTIFY clock_id=0", enable: true);
        _guest.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 0), ("rate", 24000000ul));
        Assert.Empty(Drain(_ospm));
    }

    [Fact]
    public void Notification_attribute_bits_follow_the_p2a_path()
    {
        var withP2A = _ospm.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0));
        Assert.Equal((1ul, 1ul), (withP2A.GetUInt64("rate_changed_notify"), withP2A.GetUInt64("rate_change_requested_notify")));
        var without = new Harness(hasP2A: false);
        var none = without.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0));
        Assert.Equal((0ul, 0ul), (none.GetUInt64("rate_changed_notify"), none.GetUInt64("rate_change_requested_notify")));
        Assert.Equal(0ul, without.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("state_change_notify"));
        Assert.Equal(1ul, _ospm.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("state_change_notify"));
        Assert.Equal(0ul, without.Ok(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("level_notify"));
        Assert.Equal(1ul, _ospm.Ok(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("reset_notify"));
    }

    [Fact]
    public void A_closed_session_gets_nothing_and_a_full_backlog_drops_notifications()
    {
        Subscribe(_ospm, "PERFORMANCE_NOTIFY_LEVEL domain_id=0", enable: true);
        for (var i = 0; i < 300; i++)
            _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", i % 2 == 0 ? 800 : 1200));
        Assert.Equal(AgentSession.NotificationBacklog, Drain(_ospm).Count);
        Assert.Equal(300 - AgentSession.NotificationBacklog, _ospm.Session.DroppedNotifications);

        _ospm.Platform.CloseSession(_ospm.Session);
        _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 500));
        Assert.Empty(Drain(_ospm));
    }

    private static void Subscribe(Harness h, string subscription, bool enable)
    {
        var parts = subscription.Split(' ');
        var command = parts[0];
        var enableValue = enable ? 1 : 0;
        switch (command)
        {
            case "SYSTEM_POWER_STATE_NOTIFY":
                h.Ok(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", enableValue));
                return;
        }

        var (idName, id) = (parts[1].Split('=')[0], uint.Parse(parts[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
        var reply = command switch
        {
            "POWER_STATE_NOTIFY" => h.Call(PowerMessageId.POWER_STATE_NOTIFY, (idName, id), ("notify_enable", enableValue)),
            "POWER_STATE_CHANGE_REQUESTED_NOTIFY" => h.Call(PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY, (idName, id), ("notify_enable", enableValue)),
            "PERFORMANCE_NOTIFY_LEVEL" => h.Call(PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, (idName, id), ("notify_enable", enableValue)),
            "PERFORMANCE_NOTIFY_LIMITS" => h.Call(PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (idName, id), ("notify_enable", enableValue)),
            "CLOCK_RATE_NOTIFY" => h.Call(ClockMessageId.CLOCK_RATE_NOTIFY, (idName, id), ("notify_enable", enableValue)),
            "CLOCK_RATE_CHANGE_REQUESTED_NOTIFY" => h.Call(ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, (idName, id), ("notify_enable", enableValue)),
            _ => h.Call(ResetMessageId.RESET_NOTIFY, (idName, id), ("notify_enable", enableValue)),
        };
        Assert.Equal(0, reply.Status);
    }

    private void Trigger(string trigger)
    {
        var p = trigger.Split(' ');
        uint U(int i) => uint.Parse(p[i], System.Globalization.CultureInfo.InvariantCulture);
        switch (p[0])
        {
            case "POWER_STATE_SET":
                _guest.Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", U(1)), ("state_id", 0), ("state_type", p[2] == "off" ? 1 : 0));
                break;
            case "PERFORMANCE_LEVEL_SET":
                _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", U(1)), ("performance_level", U(2)));
                break;
            case "PERFORMANCE_LIMITS_SET":
                _guest.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", U(1)), ("range_max", U(2)), ("range_min", U(3)));
                break;
            case "CLOCK_RATE_SET":
                _guest.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 2), ("clock_id", U(1)), ("rate", (ulong)U(2)));
                break;
            case "RESET":
                _guest.Ok(ResetMessageId.RESET, ("domain_id", U(1)), ("autonomous", 1), ("explicit_assert", 0), ("async", 0), ("reset_id", 0), ("reset_type", 0));
                break;
            default: // SYSTEM_POWER_STATE_SET graceful state: only a trusted agent may
                _ospm.Ok(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", U(1)), ("system_state", U(2)));
                break;
        }
    }

    /// <summary>Puts the state back so that the second trigger is a change again.</summary>
    private void Reverse(string trigger)
    {
        var p = trigger.Split(' ');
        switch (p[0])
        {
            case "POWER_STATE_SET":
                _guest.Ok(PowerMessageId.POWER_STATE_SET, ("async", 0), ("domain_id", uint.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)), ("state_id", 0), ("state_type", p[2] == "off" ? 0 : 1));
                break;
            case "PERFORMANCE_LEVEL_SET":
                _guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 1600));
                break;
            case "CLOCK_RATE_SET":
                _guest.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 2), ("clock_id", 3), ("rate", 100000000ul));
                break;
        }

        Drain(_guest);
    }
}
