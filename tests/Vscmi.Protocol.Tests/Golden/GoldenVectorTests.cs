using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests.Golden;

/// <summary>Hex in, the readable line out, and back to the same bytes, for every message of every protocol.</summary>
public class GoldenVectorTests
{
    [Theory]
    [MemberData(nameof(GoldenVectors.Base), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Power), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.System), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Perf), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Clock), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Sensor), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Reset), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Voltage), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Powercap), MemberType = typeof(GoldenVectors))]
    [MemberData(nameof(GoldenVectors.Pinctrl), MemberType = typeof(GoldenVectors))]
    public void Decodes_to_the_expected_fields_and_encodes_back(string kind, string vector, string expected)
    {
        var bytes = GoldenHex.Parse(vector);

        var message = ScmiMessageCodec.Decode(bytes, GoldenHex.Kind(kind));

        Assert.Equal(expected, ScmiFormatter.Format(message));
        var encoded = ScmiMessageCodec.EncodeToArray(message.Header, message.Kind, message.Status ?? 0, message.Fields);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(encoded));
    }

    [Fact]
    public void Every_message_of_every_protocol_has_a_golden_vector()
    {
        var covered = AllRows()
            .Select(row => ScmiMessageCodec.Decode(GoldenHex.Parse(row.Vector), GoldenHex.Kind(row.Kind)))
            .Where(m => m.Status is null or 0)
            .Select(m => $"{m.Protocol.ShortName} {m.Name} {m.Kind}")
            .ToHashSet();

        var required = new List<string>();
        foreach (var protocol in ScmiCatalog.Protocols)
        {
            foreach (var message in protocol.Messages)
            {
                required.Add($"{protocol.ShortName} {message.Name} {ScmiMessageKind.Command}");
                required.Add($"{protocol.ShortName} {message.Name} {ScmiMessageKind.Response}");
                if (message.DelayedResponse is not null)
                    required.Add($"{protocol.ShortName} {message.Name} {ScmiMessageKind.DelayedResponse}");
            }

            foreach (var notification in protocol.Notifications)
                required.Add($"{protocol.ShortName} {notification.Name} {ScmiMessageKind.Notification}");
        }

        var missing = required.Where(r => !covered.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "no golden vector for: " + string.Join(", ", missing));
        Assert.True(required.Count > 250, $"only {required.Count} message kinds in the catalog");
    }

    private static IEnumerable<(string Kind, string Vector)> AllRows()
    {
        TheoryData<string, string, string>[] tables =
        [
            GoldenVectors.Base, GoldenVectors.Power, GoldenVectors.System, GoldenVectors.Perf, GoldenVectors.Clock,
            GoldenVectors.Sensor, GoldenVectors.Reset, GoldenVectors.Voltage, GoldenVectors.Powercap, GoldenVectors.Pinctrl,
        ];
        foreach (var table in tables)
        {
            foreach (var row in table)
            {
                var values = row;
                yield return ((string)values[0]!, (string)values[1]!);
            }
        }
    }
}
