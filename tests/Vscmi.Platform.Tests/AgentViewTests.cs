using System.Text;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>The default model's third agent, "sandbox", sees a few resources under its own ids.</summary>
public class AgentViewTests
{
    private readonly Harness _ospm = new();
    private readonly Harness _sandbox;

    public AgentViewTests() => _sandbox = new Harness(_ospm.Platform, agentId: 3);

    [Fact]
    public void Counts_names_and_ids_are_the_agents_own()
    {
        Assert.Equal(2ul, _sandbox.Ok(ClockMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_clocks"));
        Assert.Equal(1ul, _sandbox.Ok(PerfMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"));
        Assert.Equal(0ul, _sandbox.Ok(PowercapMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_domains"));
        Assert.Equal("uart0", _sandbox.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0)).GetText("name"));
        Assert.Equal("spi0", _sandbox.Ok(ClockMessageId.CLOCK_NAME_GET, ("clock_id", 1)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _sandbox.Status(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 2)));

        var sensors = _sandbox.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors");
        Assert.Equal(new[] { (0ul, "gpu_temp"), (1ul, "cpu_temp") }, sensors.Select(s => (s.GetUInt64("sensor_id"), s.GetText("name"))));
        Assert.Equal("usb", _sandbox.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetText("name"));
        Assert.Equal("vdd_io", _sandbox.Ok(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, ("domain_id", 0)).GetText("name"));
    }

    [Fact]
    public void Parents_outside_the_view_are_hidden()
    {
        // uart0's parents (osc24m, sys_bus) are not the sandbox's: it sees no parent support at all.
        Assert.Equal(0ul, _sandbox.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0)).GetUInt64("parents"));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _sandbox.Status(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, ("clock_id", 0), ("skip_parents", 0)));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, _sandbox.Status(ClockMessageId.CLOCK_PARENT_GET, ("clock_id", 0)));
    }

    [Fact]
    public void A_change_is_notified_in_each_recipients_own_ids()
    {
        _sandbox.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 1), ("notify_enable", 1)); // spi0, global 5
        _ospm.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 5), ("notify_enable", 1));
        _ospm.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 5), ("rate", 50000000ul));
        string Next(Harness h)
        {
            Assert.True(h.Session.Outbox.TryRead(out var m));
            return ScmiFormatter.Format(ScmiMessageCodec.Decode(m, ScmiMessageKind.Notification));
        }

        Assert.Equal("CLOCK 0x14 CLOCK_RATE_CHANGED notification agent_id=1 clock_id=1 rate=50000000", Next(_sandbox));
        Assert.Equal("CLOCK 0x14 CLOCK_RATE_CHANGED notification agent_id=1 clock_id=5 rate=50000000", Next(_ospm));
        _ospm.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 3), ("rate", 400000000ul));
        Assert.False(_sandbox.Session.Outbox.TryRead(out _)); // sys_bus is not the sandbox's business
    }

    [Fact]
    public void Recipients_that_number_a_resource_alike_share_one_message_and_the_others_get_their_own()
    {
        // Fan-out builds the bytes once per recipient view (issue 18): a second OSPM channel sees
        // spi0 as 5 like the first, the sandbox as 1.
        var second = new Harness(_ospm.Platform, agentId: 1);
        foreach (var h in new[] { _ospm, second })
            h.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 5), ("notify_enable", 1));
        _sandbox.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 1), ("notify_enable", 1));
        _ospm.Ok(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 5), ("rate", 50000000ul));

        Assert.True(_ospm.Session.Outbox.TryRead(out var first));
        Assert.True(second.Session.Outbox.TryRead(out var same));
        Assert.True(_sandbox.Session.Outbox.TryRead(out var own));
        Assert.Same(first, same);
        Assert.NotSame(first, own);
        Assert.Equal(5u, BitConverter.ToUInt32(first, 8));
        Assert.Equal(1u, BitConverter.ToUInt32(own, 8));
    }

    /// <summary>Every served command whose first parameter names a resource, with an id the sandbox cannot see.</summary>
    public static TheoryData<string> ResourceCommands()
    {
        var data = new TheoryData<string>();
        foreach (var protocol in new[] { ScmiProtocolId.POWER, ScmiProtocolId.PERF, ScmiProtocolId.CLOCK, ScmiProtocolId.SENSOR, ScmiProtocolId.RESET, ScmiProtocolId.VOLTAGE, ScmiProtocolId.POWERCAP })
        {
            foreach (var message in ScmiCatalog.Get(protocol).Messages.OrderBy(m => m.Id))
            {
                if (ResourceField(message.Request) is not null)
                    data.Add($"{protocol} {message.Name}");
            }
        }

        return data;
    }

    private static string? ResourceField(Layout layout) =>
        layout.Fields.OfType<NumberSpec>().Select(f => f.Name).FirstOrDefault(n => n is "domain_id" or "clock_id" or "sensor_id");

    [Theory]
    [MemberData(nameof(ResourceCommands))]
    public void A_resource_outside_the_view_is_not_found_and_nothing_changes(string command)
    {
        var protocol = Enum.Parse<ScmiProtocolId>(command.Split(' ')[0]);
        var message = ScmiCatalog.Get(protocol).Messages.Single(m => m.Name == command.Split(' ')[1]);
        var kind = Platform.ScmiPlatform.ResourceKindOf(protocol)!.Value;
        var invisible = (uint)_sandbox.Session.VisibleCount(kind);
        var fields = new FieldSet();
        foreach (var field in message.Request.Fields)
        {
            if (field is NumberSpec n)
                fields.Set(n.Name, n.Name == ResourceField(message.Request) ? invisible : (n.Values?.Names.Keys.First() ?? 0));
        }

        var before = Snapshot(_ospm.Platform);
        var header = new ScmiHeader(message.Id, ScmiMessageType.COMMAND, (byte)protocol, 7);
        var reply = _sandbox.Raw(ScmiMessageCodec.EncodeToArray(header, ScmiMessageKind.Command, 0, fields));

        Assert.Equal((int)ScmiStatus.NOT_FOUND, BitConverter.ToInt32(reply, 4));
        Assert.Equal(8, reply.Length);
        Assert.Equal(before, Snapshot(_ospm.Platform));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Privileged_commands_from_untrusted_agents_are_denied_and_change_nothing(int agent)
    {
        var h = agent == 3 ? _sandbox : new Harness(_ospm.Platform, agentId: agent);
        var before = Snapshot(_ospm.Platform);
        Assert.Equal(ScmiStatus.DENIED, h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 1), ("device_id", 0), ("protocol_id", 0x14), ("allow", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 1), ("reset_permissions", 1)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 1), ("system_state", 0)));
        Assert.Equal(ScmiStatus.DENIED, h.Status(PinctrlMessageId.PINCTRL_SET_PERMISSIONS, ("agent_id", 1), ("identifier", 0), ("selector", 0), ("allow", 0)));
        Assert.Equal(before, Snapshot(_ospm.Platform));
        Assert.Equal(ScmiStatus.SUCCESS, _ospm.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 0)));
    }

    /// <summary>Every piece of shared state, as text: equal snapshots mean nothing changed for anyone.</summary>
    private static string Snapshot(ScmiPlatform platform)
    {
        var s = platform.State;
        var text = new StringBuilder();
        foreach (var p in s.Perf)
            text.Append($"perf {p.Level} {p.RangeMin} {p.RangeMax} {p.CapCeiling} [{string.Join(',', p.Requests)}];");
        foreach (var c in s.Clocks)
            text.Append($"clock {c.Rate} {c.Parent} [{string.Join(',', c.Votes)}];");
        foreach (var p in s.Power)
            text.Append($"power {p.On} [{string.Join(',', p.Votes)}];");
        foreach (var v in s.Voltage)
            text.Append($"voltage {v.Level} {v.On};");
        foreach (var r in s.Resets)
            text.Append($"reset {r.Asserted} {r.Count} {r.Holder};");
        foreach (var x in s.Sensors)
            text.Append($"sensor {x.Enabled} {x.IntervalSeconds} {x.IntervalExponent} [{string.Join(',', x.Trips)}];");
        foreach (var c in s.Powercap)
            text.Append($"powercap {c.Cap} {c.Pai} {c.Thresholds};");
        foreach (var p in s.Pins)
            text.Append($"pin {p.Function} {p.Owner} [{string.Join(',', p.Configs)}] [{string.Join(',', p.Denied)}];");
        text.Append($"system {s.SystemState};");
        foreach (var kind in Enum.GetValues<Model.ResourceKind>())
        {
            for (var id = 0; id < platform.ResourceCount(kind); id++)
                text.Append(s.ResourceDenied(1, kind, id) || s.ResourceDenied(2, kind, id) || s.ResourceDenied(3, kind, id) ? '-' : '+');
        }

        return text.ToString();
    }
}
