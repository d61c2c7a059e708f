using Vscmi.Platform.Injection;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// A live reload (<see cref="ScmiPlatform.Reload"/>): what keeps every agent's ids applies at once
/// under connected agents and carries the state in force; what would renumber a connected agent's
/// view, or does not fit the state, is refused with a message naming agent and resource, and
/// nothing changes.
/// </summary>
public sealed class ReloadTests
{
    private static readonly string Text = ModelLoader.DefaultModelText;

    private static DeviceModel Edited(string from, string to)
    {
        Assert.Contains(from, Text, StringComparison.Ordinal);
        return ModelLoader.Load(Text.Replace(from, to, StringComparison.Ordinal), "edited.toml");
    }

    private const string CpuTempSource = "source = { kind = \"sine\", base = 45000, amplitude = 5000, period_s = 60 }";

    [Fact]
    public void A_new_sensor_source_is_read_by_a_connected_agent_and_the_state_in_force_stays()
    {
        var ospm = new Harness();
        ospm.Ok(ClockMessageId.CLOCK_RATE_SET, ("clock_id", 1u), ("rate", 800_000_000UL));
        ospm.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 0u), ("range_max", 1500u), ("range_min", 800u));
        var stateBefore = ospm.Platform.SaveState();

        var changes = ospm.Platform.Reload(Edited(CpuTempSource, "source = { kind = \"constant\", value = 71000 }"));

        Assert.Null(changes.Refusal);
        Assert.Equal(["sensor 'cpu_temp': source sine(base 45000, amplitude 5000, period 60 s) → constant(71000)"], changes.Changes);
        Assert.Equal(71000L, ospm.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0u), ("async", 0u)).GetRecords("readings").Single().GetInt64("value"));
        Assert.Equal(800_000_000UL, ospm.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1u)).GetUInt64("rate"));
        Assert.Equal(1500UL, ospm.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 0u)).GetUInt64("range_max"));
        Assert.Equal(stateBefore, ospm.Platform.SaveState()); // every value carried over, and the fingerprint (ids) is the same
    }

    [Fact]
    public void The_same_model_changes_nothing()
    {
        var h = new Harness();
        var model = h.Platform.Model;
        var changes = h.Platform.Reload(ModelLoader.LoadDefault());
        Assert.Null(changes.Refusal);
        Assert.Empty(changes.Changes);
        Assert.Same(model, h.Platform.Model);
    }

    [Fact]
    public void Reordering_sensors_under_a_connected_agent_is_refused_naming_agent_and_sensor()
    {
        var h = new Harness(agentId: 3); // sandbox sees gpu_temp as its sensor 0
        var model = h.Platform.Model;
        var reordered = Text.Replace("name = \"cpu_temp\"", "name = \"cpu_tmpX\"", StringComparison.Ordinal)
            .Replace("name = \"gpu_temp\"", "name = \"cpu_temp\"", StringComparison.Ordinal)
            .Replace("name = \"cpu_tmpX\"", "name = \"gpu_temp\"", StringComparison.Ordinal);

        var changes = h.Platform.Reload(ModelLoader.Load(reordered, "reordered.toml"));

        Assert.Equal("sensor 0 'cpu_temp' would become 'gpu_temp': resource ids and counts cannot change while the daemon runs (agent 'sandbox', connected, sees it as its sensor 1); restart the daemon to apply it", changes.Refusal);
        Assert.Same(model, h.Platform.Model);
    }

    [Fact]
    public void A_resource_added_or_removed_is_refused()
    {
        var h = new Harness();
        var added = h.Platform.Reload(ModelLoader.Load(Text + "\n[[reset_domain]]\nname = \"extra\"\nlatency_us = 5\n", "added.toml"));
        Assert.StartsWith("reset domain 'extra' would be added as reset domain 3: resource ids and counts cannot change", added.Refusal, StringComparison.Ordinal);
        var fewerOpps = h.Platform.Reload(Edited("  { level = 1800, power_mw = 370, latency_us = 300 },\n", ""));
        Assert.StartsWith("perf 0 'little' would have 4 OPPs instead of 5", fewerOpps.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agent_added_at_the_end_gets_the_next_id_and_existing_votes_stay()
    {
        var ospm = new Harness();
        ospm.Ok(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 3u), ("state", 0u), ("extended_config_val", 0u));
        var agent = ModelLoader.AgentFromText(ospm.Platform.Model, "vm9", "sensors = [\"soc_power\"]\ntrusted = false\n", "view.toml");

        var changes = ospm.Platform.Reload(ModelLoader.WithAgent(ospm.Platform.Model, agent));

        Assert.Null(changes.Refusal);
        Assert.Equal(["agent 'vm9' added (agent id 4)"], changes.Changes);
        var vm9 = new Harness(ospm.Platform, agentId: 4);
        Assert.Equal("vm9", vm9.Ok(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 0xFFFFFFFFu)).GetText("name"));
        Assert.Equal(1UL, vm9.Ok(SensorMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_sensors"));
        Assert.Equal(0UL, ospm.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 3u)).GetUInt64("enabled")); // OSPM's vote carried over
    }

    [Fact]
    public void Agents_cannot_go_or_be_renamed()
    {
        var h = new Harness();
        var gone = h.Platform.Reload(Edited("[[agent]]\nname = \"guest\"\ntrusted = false\nvhost_user = \"vscmi-guest.vhost.sock\"\n", ""));
        Assert.StartsWith("agent 'guest' (agent id 2) would go: agent id 2 would be 'sandbox'", gone.Refusal, StringComparison.Ordinal);
        var renamed = h.Platform.Reload(Edited("name = \"guest\"", "name = \"guest2\""));
        Assert.StartsWith("agent 'guest' (agent id 2) would go", renamed.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_view_may_change_while_its_agent_is_away_but_not_while_it_is_connected()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        var narrower = Edited("sensors = [\"gpu_temp\", \"cpu_temp\"]", "sensors = [\"gpu_temp\"]");

        var sandbox = platform.OpenSession(3);
        var refused = platform.Reload(narrower);
        Assert.Equal("agent 'sandbox' is connected and its view would change: its sensor 1 'cpu_temp' would go; restart the daemon to apply it", refused.Refusal);

        platform.CloseSession(sandbox);
        var applied = platform.Reload(narrower);
        Assert.Null(applied.Refusal);
        Assert.Equal(["agent 'sandbox': sensor seen gpu_temp,cpu_temp → gpu_temp"], applied.Changes);
        Assert.Equal(1, platform.OpenSession(3).VisibleCount(ResourceKind.Sensor));
    }

    [Fact]
    public void Trust_latencies_and_opps_apply_and_each_change_is_named()
    {
        var h = new Harness();
        var changes = h.Platform.Reload(ModelLoader.Load(Text
            .Replace("name = \"guest\"\ntrusted = false", "name = \"guest\"\ntrusted = true", StringComparison.Ordinal)
            .Replace("{ level = 500,  power_mw = 60,  latency_us = 300 }", "{ level = 500,  power_mw = 50,  latency_us = 200 }", StringComparison.Ordinal),
            "edited.toml"));
        Assert.Null(changes.Refusal);
        Assert.Contains("agent 'guest': trusted false → true", changes.Changes);
        Assert.Contains(changes.Changes, c => c.StartsWith("perf 'little': opps 500:500000kHz:60:300us", StringComparison.Ordinal) && c.Contains("500:500000kHz:50:200us", StringComparison.Ordinal));
        var guest = new Harness(h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2u), ("flags", 0u)));
    }

    [Fact]
    public void A_state_that_does_not_fit_the_new_model_refuses_the_reload()
    {
        var h = new Harness();
        h.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0u), ("performance_level", 1800u));
        var model = h.Platform.Model;

        var changes = h.Platform.Reload(Edited("{ level = 1800, power_mw = 370, latency_us = 300 }", "{ level = 1700, power_mw = 370, latency_us = 300 }")
            with { });

        Assert.StartsWith("the state in force does not fit the new model: its contents do not fit this model: level = 1800 is outside 500..1700", changes.Refusal, StringComparison.Ordinal);
        Assert.Same(model, h.Platform.Model);
    }

    [Fact]
    public void Another_release_is_refused()
    {
        var h = new Harness();
        var changes = h.Platform.Reload(ModelLoader.Load("scmi_release = \"3.1\"\n" + Text, "older.toml"));
        Assert.StartsWith("scmi_release 3.2 → 3.1 would change the protocols", changes.Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sensors = [\"nope\"]", "view.toml:1:12: 'nope' in 'sensors' of the top level is not one of the model's sensors")]
    [InlineData("socket = \"x.sock\"", "view.toml:1:1: unknown key 'socket'")]
    [InlineData("trusted = 3", "view.toml:1:11: 'trusted'")]
    [InlineData("sensors = [\"cpu_temp\", \"cpu_temp\"]", "'cpu_temp' is listed twice")]
    [InlineData("pin_groups = [\"spi0_grp\"]\npins = []", "sees pin group 'spi0_grp' but not its pin")]
    public void A_bad_view_is_refused_with_file_and_line(string view, string expected)
    {
        var error = Assert.Throws<ModelException>(() => ModelLoader.AgentFromText(ModelLoader.LoadDefault(), "vm9", view, "view.toml"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("guest", "an agent called \"guest\" exists already")]
    [InlineData("a-name-of-16-chr", "must be 1 to 15 printable ASCII characters")]
    [InlineData("", "must be 1 to 15 printable ASCII characters")]
    public void A_taken_or_bad_agent_name_is_refused(string name, string expected)
    {
        var model = ModelLoader.LoadDefault();
        var error = Assert.Throws<ModelException>(() => ModelLoader.WithAgent(model, ModelLoader.AgentFromText(model, name, "", "view.toml")));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_more_than_254_agents()
    {
        var model = ModelLoader.LoadDefault();
        for (var i = model.Agents.Count; i < 254; i++)
            model = ModelLoader.WithAgent(model, ModelLoader.AgentFromText(model, $"a{i}", "", "v"));
        var error = Assert.Throws<ModelException>(() => ModelLoader.WithAgent(model, ModelLoader.AgentFromText(model, "one-more", "", "v")));
        Assert.Contains("254 agents", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_view_texts_never_throw_anything_but_a_model_exception()
    {
        var model = ModelLoader.LoadDefault();
        var random = new Random(15);
        string[] pieces = ["sensors", "clocks", "=", "[", "]", "\"cpu_temp\"", "\"x\"", ",", "\n", "trusted", "true", "3", "{", "}", "#", "pins", "'", "\\", "\0"];
        for (var i = 0; i < 2000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(12)).Select(_ => pieces[random.Next(pieces.Length)] + (random.Next(3) == 0 ? " " : "")));
            try
            {
                ModelLoader.AgentFromText(model, "vm9", text, "fuzz.toml");
            }
            catch (ModelException)
            {
            }
        }
    }

    [Fact]
    public void A_released_agent_no_longer_holds_a_performance_level()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        guest.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0u), ("performance_level", 1800u));
        ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_SET, ("domain_id", 0u), ("performance_level", 500u));
        Assert.Equal(1800UL, ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0u)).GetUInt64("performance_level")); // the highest request wins

        ospm.Platform.ReleaseAgent(2); // vscmi ctl vm remove guest

        Assert.Equal(500UL, ospm.Ok(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0u)).GetUInt64("performance_level"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ospm.Platform.ReleaseAgent(4));
    }

    [Fact]
    public void An_injected_sensor_value_outlives_a_reload_of_its_source_and_its_removal_uncovers_the_new_source()
    {
        var h = new Harness();
        long Read() => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0u), ("async", 0u)).GetRecords("readings").Single().GetInt64("value");
        var id = h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 0, Value = 95000 });

        var changes = h.Platform.Reload(Edited(CpuTempSource, "source = { kind = \"constant\", value = 71000 }"));

        Assert.Null(changes.Refusal);
        Assert.Equal(95000L, Read()); // vscmi inject list still shows it: it still holds
        Assert.Single(h.Platform.Faults.List());
        Assert.True(h.Platform.Faults.Remove(id));
        Assert.Equal(71000L, Read()); // the new source, not the one the reload replaced
    }

    [Fact]
    public void Stacked_sensor_injections_end_in_any_order_across_a_reload()
    {
        var h = new Harness();
        long Read() => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0u), ("async", 0u)).GetRecords("readings").Single().GetInt64("value");
        var constant = Text.Replace(CpuTempSource, "source = { kind = \"constant\", value = 40000 }", StringComparison.Ordinal);
        Assert.Null(h.Platform.Reload(ModelLoader.Load(constant, "constant.toml")).Refusal);
        var older = h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 0, Value = 60000 });
        var newer = h.Platform.Faults.Add(new FaultSpec(FaultKind.Sensor) { Resource = 0, Value = 80000 });
        Assert.Equal(80000L, Read());

        // Only gpu_temp's source changes: cpu_temp, described as before, keeps both overrides.
        Assert.Contains("seed = 7 }", constant, StringComparison.Ordinal);
        var changes = h.Platform.Reload(ModelLoader.Load(constant.Replace("seed = 7 }", "seed = 8 }", StringComparison.Ordinal), "reseeded.toml"));
        Assert.Null(changes.Refusal);
        Assert.Single(changes.Changes);
        Assert.Equal(80000L, Read());

        Assert.True(h.Platform.Faults.Remove(older)); // under the newer one: the newer still holds
        Assert.Equal(80000L, Read());
        Assert.True(h.Platform.Faults.Remove(newer));
        Assert.Equal(40000L, Read()); // the model's own source, not the older override
    }

    [Fact]
    public void A_sensor_described_as_before_goes_on_where_it_was()
    {
        static long ReadGpuTemp(Harness h) => h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 1u), ("async", 0u)).GetRecords("readings").Single().GetInt64("value");
        var reloaded = new Harness();
        var reference = new Harness();
        const int Reads = 20;
        for (var i = 0; i < Reads; i++)
            ReadGpuTemp(reloaded);
        var walk = Enumerable.Range(0, Reads + 1).Select(_ => ReadGpuTemp(reference)).ToList();
        Assert.NotEqual(walk[0], walk[Reads]); // a reset walk would be told apart

        // Two loads of the same text are different objects: the description is what counts.
        var changes = reloaded.Platform.Reload(Edited(CpuTempSource, "source = { kind = \"constant\", value = 71000 }"));

        Assert.Null(changes.Refusal);
        Assert.Equal(walk[Reads], ReadGpuTemp(reloaded)); // gpu_temp's random walk, the next step
    }
}
