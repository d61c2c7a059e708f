using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// <c>scmi_release</c>: a platform that presents an older SCMI release looks like that release's
/// firmware: its versions, only its commands, its layouts, no bit it calls reserved. Replies are
/// decoded strictly with the release's own descriptions (Harness).
/// </summary>
public class ReleaseTests
{
    public static TheoryData<string> Releases => new(ScmiRelease.All.Select(r => r.Name));

    private static Harness At(string release, int agentId = 1)
    {
        var text = $"scmi_release = \"{release}\"\n" + ModelLoader.DefaultModelText;
        return new Harness(ModelLoader.Load(text, "m.toml"), agentId: agentId);
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Every_protocol_reports_the_release_version_and_only_the_release_protocols_are_listed(string name)
    {
        Assert.True(ScmiRelease.TryParse(name, out var release));
        var h = At(name);
        var listed = h.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols");
        foreach (var protocol in ScmiCatalog.Protocols)
        {
            if (release.VersionOf(protocol.Id) is { } expected)
            {
                var version = h.Call(protocol.Id, 0x0);
                Assert.Equal((0, (ulong)expected), (version.Status!.Value, version.Fields.GetUInt64("version")));
                Assert.True(protocol.Id == ScmiProtocolId.BASE || listed.Contains((byte)protocol.Id), $"{protocol.ShortName} not listed in {release}");
            }
            else
            {
                var header = new ScmiHeader(0x0, ScmiMessageType.COMMAND, (byte)protocol.Id, 9);
                Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, BitConverter.ToInt32(h.Raw(BaseAndDispatchTests.Words(header.Value)), 4));
                Assert.DoesNotContain((ulong)(byte)protocol.Id, listed);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Commands_newer_than_the_release_are_not_supported_and_not_found_in_message_attributes(string name)
    {
        Assert.True(ScmiRelease.TryParse(name, out var release));
        var h = At(name);
        foreach (var protocol in ScmiCatalog.Protocols)
        {
            if (release.VersionOf(protocol.Id) is not { } version)
                continue;
            foreach (var message in protocol.Messages)
            {
                var attributes = h.Call(protocol.Id, 0x2, ("message_id", (uint)message.Id));
                var exists = message.At(version) is not null;
                Assert.True((exists ? 0 : (int)ScmiStatus.NOT_FOUND) == attributes.Status, $"{release} {message.Name}: PROTOCOL_MESSAGE_ATTRIBUTES answered {attributes.Status}");
                if (!exists)
                {
                    var header = new ScmiHeader(message.Id, ScmiMessageType.COMMAND, (byte)protocol.Id, 7);
                    var reply = h.Raw(BaseAndDispatchTests.Words(header.Value, 0, 0, 0, 0));
                    Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, BitConverter.ToInt32(reply, 4));
                }
            }
        }
    }

    /// <summary>Every listing command on every resource, decoded strictly with the release's layouts.</summary>
    [Theory]
    [MemberData(nameof(Releases))]
    public void Every_reply_fits_the_release_layouts_exactly(string name)
    {
        Assert.True(ScmiRelease.TryParse(name, out var release));
        var h = At(name);
        for (uint clock = 0; clock < 8; clock++)
        {
            h.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", clock));
            h.Ok(ClockMessageId.CLOCK_DESCRIBE_RATES, ("clock_id", clock), ("rate_index", 0));
        }

        for (uint domain = 0; domain < 2; domain++)
        {
            h.Ok(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, ("domain_id", domain));
            var levels = h.Ok(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", domain), ("level_index", 0)).GetRecords("levels");
            Assert.NotEmpty(levels);
        }

        h.Ok(PerfMessageId.PROTOCOL_ATTRIBUTES);
        for (uint domain = 0; domain < 4; domain++)
            h.Ok(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, ("domain_id", domain));
        for (uint domain = 0; domain < 3; domain++)
            h.Ok(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, ("domain_id", domain));
        var sensors = h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors");
        Assert.Equal(4, sensors.Count); // 28-byte descriptors: four fit a 128-byte reply in every release
        h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 0), ("async", 0));
        if (release.VersionOf(ScmiProtocolId.VOLTAGE) is not null)
        {
            for (uint domain = 0; domain < 3; domain++)
                h.Ok(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, ("domain_id", domain));
        }
    }

    [Fact]
    public void Scmi_2_0_has_the_old_forms()
    {
        var h = At("2.0");
        // CLOCK_ATTRIBUTES v1.0: attributes (enabled only) and the name, no enable delay; no notification bits.
        var pll = h.Ok(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 1));
        Assert.False(pll.TryGet("clock_enable_delay_us", out _));
        Assert.Equal(1ul, pll.GetUInt64("enabled"));
        // PERFORMANCE_DESCRIBE_LEVELS before v4.0: 12-byte entries.
        var level = h.Ok(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, ("domain_id", 0), ("level_index", 0)).GetRecords("levels")[0];
        Assert.False(level.TryGet("indicative_frequency_khz", out _));
        // SENSOR_READING_GET v1.0: one 64-bit value.
        var reading = h.Ok(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 2), ("async", 0));
        Assert.Equal(900L, reading.GetRecords("readings").Single().GetInt64("value"));
        // The v1.0 descriptor carries the update interval in attributes_high.
        Assert.Equal(1ul, h.Ok(SensorMessageId.SENSOR_DESCRIPTION_GET, ("desc_index", 0)).GetRecords("descriptors")[0].GetUInt64("update_interval_seconds"));
        // CLOCK_CONFIG_SET v1.0: two words.
        Assert.Equal(ScmiStatus.SUCCESS, h.Status(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 5), ("state", 1)));
        Assert.Equal(ScmiStatus.PROTOCOL_ERROR, (ScmiStatus)BitConverter.ToInt32(h.Raw(BaseAndDispatchTests.Words(0x00005007, 5, 1, 0)), 4));
    }

    [Fact]
    public async Task Scmi_2_0_delayed_responses_and_notifiers_have_the_old_sizes()
    {
        var h = At("2.0");
        Assert.Equal(ScmiStatus.SUCCESS, h.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 3), ("async", 1)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var delayed = await h.Session.Outbox.ReadAsync(timeout.Token);
        Assert.Equal(4 + 4 + 12, delayed.Length); // header, status, sensor_id, value
        ScmiMessageCodec.Decode(delayed, ScmiMessageKind.DelayedResponse, new DecodeOptions { Release = ScmiRelease.V2_0 });

        var guest = new Harness(h.Platform, agentId: 2);
        guest.Ok(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, ("notify_enable", 1));
        h.Ok(SystemMessageId.SYSTEM_POWER_STATE_SET, ("graceful", 1), ("system_state", 0));
        var notifier = await guest.Session.Outbox.ReadAsync(timeout.Token);
        Assert.Equal(4 + 12, notifier.Length); // System v1.0: agent_id, flags, system_state (Linux checks 12 bytes)
    }

    [Theory]
    [InlineData("scmi_release = \"2.1\"\n", "m.toml:1:", "'scmi_release' = \"2.1\" is not an SCMI release vscmi can present (2.0, 3.0, 3.1, 3.2)")]
    [InlineData("scmi_release = 2\n", "m.toml:1:", "must be a string")]
    public void A_bad_release_is_refused_with_its_location(string line, string location, string message)
    {
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(line + ModelLoader.DefaultModelText, "m.toml"));
        Assert.StartsWith(location, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_release_may_sit_in_platform_but_not_in_both_places()
    {
        var inPlatform = ModelLoader.DefaultModelText.Replace("[platform]\n", "[platform]\nscmi_release = \"3.1\"\n", StringComparison.Ordinal);
        Assert.Equal("3.1", ModelLoader.Load(inPlatform, "m.toml").Release.Name);
        Assert.Equal("3.2", ModelLoader.LoadDefault().Release.Name);
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load("scmi_release = \"2.0\"\n" + inPlatform, "m.toml"));
        Assert.Contains("both at the top level and in [platform]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_release_is_inferred_from_the_versions_a_platform_reports()
    {
        foreach (var release in ScmiRelease.All)
        {
            var h = At(release.Name);
            var versions = h.Platform.Protocols.ToDictionary(p => (byte)p, p => (uint)h.Call(p, 0x0).Fields.GetUInt64("version"));
            Assert.Same(release, ScmiRelease.Infer(versions));
        }
    }
}
