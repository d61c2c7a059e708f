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
    [MemberData(nameof(GoldenVectors.Vscmi), MemberType = typeof(GoldenVectors))]
    public void Decodes_to_the_expected_fields_and_encodes_back(string kind, string vector, string expected)
    {
        var bytes = GoldenHex.Parse(vector);

        var message = ScmiMessageCodec.Decode(bytes, GoldenHex.Kind(kind));

        Assert.Equal(expected, ScmiFormatter.Format(message));
        var encoded = ScmiMessageCodec.EncodeToArray(message.Header, message.Kind, message.Status ?? 0, message.Fields);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(encoded));
    }

    /// <summary>SCMI 2.0's layouts: decoded with the release, encoded back with them; the v3.2 decoder refuses each.</summary>
    [Theory]
    [MemberData(nameof(GoldenVectors.Release20), MemberType = typeof(GoldenVectors))]
    public void Older_release_layouts_decode_with_their_release_and_encode_back(string kind, string vector, string expected)
    {
        var bytes = GoldenHex.Parse(vector);
        var options = new DecodeOptions { Release = ScmiRelease.V2_0 };

        var message = ScmiMessageCodec.Decode(bytes, GoldenHex.Kind(kind), options);

        Assert.Equal(expected, ScmiFormatter.Format(message));
        var encoded = ScmiMessageCodec.EncodeToArray(ScmiRelease.V2_0.Protocol(message.Header.ProtocolId), message.Header, message.Kind, message.Status ?? 0, message.Fields);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(encoded));
        Assert.ThrowsAny<ScmiProtocolException>(() => ScmiMessageCodec.Decode(bytes, GoldenHex.Kind(kind)));
    }

    [Theory]
    [InlineData("00045008 00000000", "CLOCK_NAME_GET is not in SCMI 2.0 (CLOCK v1.0)")]
    [InlineData("00045C00", "SCMI 2.0 has no VOLTAGE protocol (0x17)")]
    [InlineData("00044C10 00020000", "NEGOTIATE_PROTOCOL_VERSION is not in SCMI 2.0 (PERF v2.0)")]
    public void Messages_newer_than_the_release_are_named_as_such(string vector, string message)
    {
        var e = Assert.ThrowsAny<ScmiProtocolException>(() => ScmiMessageCodec.Decode(GoldenHex.Parse(vector), ScmiMessageKind.Command, new DecodeOptions { Release = ScmiRelease.V2_0 }));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
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
            GoldenVectors.Vscmi,
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
