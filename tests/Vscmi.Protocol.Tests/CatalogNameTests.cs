using Vscmi.Protocol.Protocols;

namespace Vscmi.Protocol.Tests;

/// <summary>Messages named by people (fault injection, scenario files) are found by their spec names.</summary>
public sealed class CatalogNameTests
{
    [Fact]
    public void A_command_name_is_found_in_its_protocol_whatever_its_case()
    {
        Assert.Equal([(0x14, 0x05)], ScmiCatalog.FindByName("clock_rate_set"));
        Assert.Equal([(0x14, 0x05)], ScmiCatalog.FindByName("CLOCK_RATE_SET", protocolId: 0x14));
        Assert.Empty(ScmiCatalog.FindByName("CLOCK_RATE_SET", protocolId: 0x15));
    }

    [Fact]
    public void A_name_every_protocol_has_matches_each_and_the_protocol_picks_one()
    {
        Assert.Equal(ScmiCatalog.Protocols.Count, ScmiCatalog.FindByName("PROTOCOL_VERSION").Count);
        Assert.Equal([(0x15, 0x00)], ScmiCatalog.FindByName("PROTOCOL_VERSION", protocolId: 0x15));
    }

    [Fact]
    public void Notifications_and_commands_are_told_apart()
    {
        var changed = ScmiCatalog.FindByName("PERFORMANCE_LEVEL_CHANGED", notification: true);
        Assert.Equal([(0x13, ScmiCatalog.Get(ScmiProtocolId.PERF).Notifications.Single(n => n.Name == "PERFORMANCE_LEVEL_CHANGED").Id)], changed);
        Assert.Empty(ScmiCatalog.FindByName("PERFORMANCE_LEVEL_CHANGED"));
        Assert.Empty(ScmiCatalog.FindByName("CLOCK_RATE_SET", notification: true));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CLOCK_RATE_SETX")]
    [InlineData("0x05")]
    public void Anything_else_matches_nothing(string name) => Assert.Empty(ScmiCatalog.FindByName(name));
}
