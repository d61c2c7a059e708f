using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Power capping tied to the "big" performance domain of the default model.</summary>
public class PowercapTests
{
    private readonly Harness _h = new();

    private (uint Max, uint Min) Limits()
    {
        var l = _h.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 1));
        return ((uint)l.GetUInt64("range_max"), (uint)l.GetUInt64("range_min"));
    }

    [Fact]
    public void Domain_attributes_pass_linux_validation()
    {
        var a = _h.Ok(PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, ("domain_id", 0));
        Assert.Equal("big_cluster", a.GetText("name"));
        Assert.Equal((1ul, 1ul, 1ul, 2ul), (a.GetUInt64("cap_configurable"), a.GetUInt64("pai_configurable"), a.GetUInt64("monitoring"), a.GetUInt64("power_unit")));
        // Linux 6.12: min and max non-zero, min != max when configurable, a step when they differ, parent root.
        Assert.True(a.GetUInt64("min_power_cap") is > 0 and var min && a.GetUInt64("max_power_cap") > min && a.GetUInt64("power_cap_step") > 0);
        Assert.True(a.GetUInt64("min_pai") is > 0 and var pmin && a.GetUInt64("max_pai") > pmin && a.GetUInt64("pai_step") > 0);
        Assert.Equal(0xFFFFFFFFul, a.GetUInt64("parent_id"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, ("domain_id", 1)));
        Assert.Equal("big_cluster", _h.Ok(PowercapMessageId.POWERCAP_DOMAIN_NAME_GET, ("domain_id", 0)).GetText("name"));
    }

    [Fact]
    public void A_cap_lowers_the_performance_ceiling_and_lifting_it_restores_it()
    {
        _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2800));
        Assert.Equal(1850ul, _h.Ok(PowercapMessageId.POWERCAP_MEASUREMENTS_GET, ("domain_id", 0)).GetUInt64("power"));

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 700)));
        Assert.Equal(700ul, _h.Ok(PowercapMessageId.POWERCAP_CAP_GET, ("domain_id", 0)).GetUInt64("power_cap"));
        Assert.Equal((1600u, 800u), Limits()); // 640 mW at 1600 fits 700; 930 mW at 2000 does not
        Assert.Equal(1600ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level"));
        Assert.Equal(640ul, _h.Ok(PowercapMessageId.POWERCAP_MEASUREMENTS_GET, ("domain_id", 0)).GetUInt64("power"));
        // A request above the cap is accepted and kept (Linux 6.12 does not follow platform limit
        // changes and would log -ERANGE); the level in force stays under the cap.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2000)));
        Assert.Equal(1600ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level"));

        // Lifting the cap lets the kept request through.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 0)));
        Assert.Equal((2800u, 800u), Limits());
        Assert.Equal(2000ul, _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 1)).GetUInt64("performance_level"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2800)));
        // Limits an agent set stay a hard bound.
        _h.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 1), ("range_max", 2000), ("range_min", 800));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2400)));
    }

    [Fact]
    public void Cap_changes_are_notified_and_perf_limits_follow_from_the_platform()
    {
        _h.Ok(PowercapMessageId.POWERCAP_CAP_NOTIFY, ("domain_id", 0), ("notify_enable", 1));
        _h.Ok(PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, ("domain_id", 1), ("notify_enable", 1));
        var guest = new Harness(_h.Platform, agentId: 2);
        guest.Ok(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 1000));
        var lines = new List<string>();
        while (_h.Session.Outbox.TryRead(out var m))
            lines.Add(ScmiFormatter.Format(ScmiMessageCodec.Decode(m, ScmiMessageKind.Notification)));
        Assert.Equal(
        [
            "POWERCAP 0x18 POWERCAP_CAP_CHANGED notification agent_id=2 domain_id=0 power_cap=1000 pai=100000",
            "PERF 0x13 PERFORMANCE_LIMITS_CHANGED notification agent_id=0 domain_id=1 range_max=2000 range_min=800",
        ], lines);
    }

    [Fact]
    public void Cap_and_pai_errors()
    {
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 100)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 0), ("power_cap", 1025)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, new Harness(hasP2A: false).Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 1), ("power_cap", 1000)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PowercapMessageId.POWERCAP_CAP_GET, ("domain_id", 2)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PowercapMessageId.POWERCAP_PAI_SET, ("domain_id", 0), ("pai", 2000)));
        Assert.Equal(2000ul, _h.Ok(PowercapMessageId.POWERCAP_PAI_GET, ("domain_id", 0)).GetUInt64("pai"));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PowercapMessageId.POWERCAP_PAI_SET, ("domain_id", 0), ("pai", 1500)));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, ("domain_id", 0), ("notify_enable", 1), ("threshold_low", 9), ("threshold_high", 1)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _h.Status(PowercapMessageId.POWERCAP_DESCRIBE_FASTCHANNEL, ("domain_id", 0), ("message_id", 5)));
        Assert.Equal(2000ul, _h.Ok(PowercapMessageId.POWERCAP_CAP_GET, ("domain_id", 0)).GetUInt64("power_cap"));
    }

    [Fact]
    public async Task An_asynchronous_cap_set_completes_with_a_delayed_response()
    {
        Assert.Equal(1ul, _h.Ok(PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetUInt64("async_cap_set"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PowercapMessageId.POWERCAP_CAP_SET, ("domain_id", 0), ("ignore_delayed_response", 0), ("async", 1), ("power_cap", 1000)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var delayed = ScmiMessageCodec.Decode(await _h.Session.Outbox.ReadAsync(timeout.Token), ScmiMessageKind.DelayedResponse);
        Assert.Equal("POWERCAP 0x18 POWERCAP_CAP_SET delayed-response token=1 status=SUCCESS domain_id=0 power_cap=1000", ScmiFormatter.Format(delayed));
        Assert.Equal(1000ul, _h.Ok(PowercapMessageId.POWERCAP_CAP_GET, ("domain_id", 0)).GetUInt64("power_cap"));
        Assert.Equal((2000u, 800u), Limits());
    }

    [Fact]
    public void Measurements_outside_the_window_are_notified()
    {
        _h.Ok(PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY, ("domain_id", 0), ("notify_enable", 1), ("threshold_low", 400), ("threshold_high", 1000));
        _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 1200)); // 420 mW: inside
        _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 1), ("performance_level", 2400)); // 1300 mW: above
        _h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0), ("performance_level", 500));  // another domain
        var lines = new List<string>();
        while (_h.Session.Outbox.TryRead(out var m))
            lines.Add(ScmiFormatter.Format(ScmiMessageCodec.Decode(m, ScmiMessageKind.Notification)));
        Assert.Equal(["POWERCAP 0x18 POWERCAP_MEASUREMENTS_CHANGED notification agent_id=1 domain_id=0 power=1300"], lines);
    }

    [Theory]
    [InlineData("min_cap_mw = 250\nmax_cap_mw = 250", "min_cap_mw")]
    [InlineData("cap_mw = 333", "'cap_mw' = 333")]
    [InlineData("perf_domain = \"nope\"", "is not a [[perf]] domain")]
    public void The_loader_applies_linux_powercap_rules(string replacement, string message)
    {
        var text = Vscmi.Platform.Model.ModelLoader.DefaultModelText;
        foreach (var line in replacement.Split('\n'))
        {
            var key = line.Split('=')[0].Trim();
            text = System.Text.RegularExpressions.Regex.Replace(text, $"(?m)^{key} = .*$", line);
        }

        var e = Assert.Throws<Vscmi.Platform.Model.ModelException>(() => Vscmi.Platform.Model.ModelLoader.Load(text, "m.toml"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
