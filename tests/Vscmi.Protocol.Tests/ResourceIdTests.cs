using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>
/// Resource ids carry their role in the description: the platform's permission check and its
/// per-agent id rewrite in notifications read it from there, so a message added without it would
/// silently escape both.
/// </summary>
public sealed class ResourceIdTests
{
    private static readonly string[] ResourceNames = ["domain_id", "clock_id", "sensor_id"];

    public static TheoryData<string> Bodies()
    {
        var data = new TheoryData<string>();
        foreach (var protocol in ScmiCatalog.Protocols)
        {
            foreach (var message in protocol.Messages)
                data.Add($"{protocol.Id} {message.Name} request");
            foreach (var notification in protocol.Notifications)
                data.Add($"{protocol.Id} {notification.Name} payload");
        }

        return data;
    }

    private static Layout Body(string which)
    {
        var parts = which.Split(' ');
        var protocol = ScmiCatalog.Protocols.Single(p => p.Id.ToString() == parts[0]);
        return parts[2] == "request"
            ? protocol.Messages.Single(m => m.Name == parts[1]).Request
            : protocol.Notifications.Single(n => n.Name == parts[1]).Payload;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Every_resource_named_in_a_request_or_notification_is_marked_as_one(string which)
    {
        foreach (var field in Body(which).Fields.OfType<NumberSpec>().Where(f => ResourceNames.Contains(f.Name)))
            Assert.True(field.IsResourceId, $"{which}: {field.Name} is not declared with ResourceId(...)");
    }

    [Theory]
    [InlineData("CLOCK", "CLOCK_RATE_SET", 4)]        // after the flags word
    [InlineData("CLOCK", "CLOCK_ATTRIBUTES", 0)]
    [InlineData("POWER", "POWER_STATE_SET", 4)]
    [InlineData("SENSOR", "SENSOR_READING_GET", 0)]
    [InlineData("BASE", "BASE_DISCOVER_AGENT", -1)]   // an agent id is not a resource
    [InlineData("PINCTRL", "PINCTRL_ATTRIBUTES", -1)] // pin control checks its selector itself
    public void A_requests_resource_offset_comes_from_the_description(string protocol, string message, int offset) =>
        Assert.Equal(offset, ScmiCatalog.Protocols.Single(p => p.Id.ToString() == protocol).Messages.Single(m => m.Name == message).Request.ResourceIdOffset);

    [Theory]
    [InlineData("CLOCK", "CLOCK_RATE_CHANGED", 4)]
    [InlineData("SENSOR", "SENSOR_TRIP_POINT_EVENT", 4)]
    [InlineData("POWERCAP", "POWERCAP_CAP_CHANGED", 4)]
    [InlineData("SYSTEM", "SYSTEM_POWER_STATE_NOTIFIER", -1)]
    public void A_notifications_resource_word_comes_from_the_description(string protocol, string notification, int offset) =>
        Assert.Equal(offset, ScmiCatalog.Protocols.Single(p => p.Id.ToString() == protocol).Notifications.Single(n => n.Name == notification).Payload.ResourceIdOffset);
}
