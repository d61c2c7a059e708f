using System.Reflection;
using Vscmi.Protocol.Messages;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>
/// The generated records carry every field of their description: random valid bodies decoded,
/// read into the record, written back and encoded again give the same bytes.
/// </summary>
public sealed class MessageRecordTests
{
    public static TheoryData<string> Layouts => SchemaSampler.LayoutLabels();

    private static Type RecordType(SchemaSampler.LayoutCase c)
    {
        var protocol = ScmiCatalog.Get(c.Protocol);
        var name = c.Kind == ScmiMessageKind.Notification ? protocol.FindNotification(c.Id)!.Name : protocol.FindMessage(c.Id)!.Name;
        var suffix = c.Kind switch
        {
            ScmiMessageKind.Command => "Request",
            ScmiMessageKind.Response => "Response",
            ScmiMessageKind.DelayedResponse => "Delayed",
            _ => "",
        };
        var typeName = $"Vscmi.Protocol.Messages.{Pascal(protocol.ShortName)}Messages+{Pascal(name)}{suffix}";
        return typeof(IScmiRequest).Assembly.GetType(typeName) ?? throw new InvalidOperationException($"no generated record {typeName}");
    }

    private static string Pascal(string name) =>
        string.Concat(name.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Records_keep_every_field(string label)
    {
        var c = SchemaSampler.Find(label);
        var type = RecordType(c);
        var from = type.GetMethod("From", BindingFlags.Public | BindingFlags.Static)!;
        var toFields = type.GetMethod("ToFields")!;
        var seed = SchemaPropertyTests.StableSeed(label);
        var random = new Random(seed);
        for (var i = 0; i < 50; i++)
        {
            var bytes = LayoutCodec.EncodeToArray(c.Layout, SchemaSampler.Generate(c.Layout, random));
            var decoded = LayoutCodec.Decode(c.Layout, bytes);

            var record = from.Invoke(null, [decoded])!;
            var written = (FieldSet)toFields.Invoke(record, null)!;

            Assert.True(bytes.AsSpan().SequenceEqual(LayoutCodec.EncodeToArray(c.Layout, written)), $"seed {seed}, sample {i}: {type.Name} lost or changed a field");
        }
    }

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var c in SchemaSampler.AllLayouts().Where(c => c.Kind == ScmiMessageKind.Command))
            data.Add($"{c.Protocol} {c.Label}");
        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Request_views_read_what_the_codec_decodes(string label)
    {
        var c = SchemaSampler.Find(label);
        var seed = SchemaPropertyTests.StableSeed(label);
        var random = new Random(seed);
        for (var i = 0; i < 50; i++)
        {
            var bytes = LayoutCodec.EncodeToArray(c.Layout, SchemaSampler.Generate(c.Layout, random));
            var decoded = LayoutCodec.Decode(c.Layout, bytes);

            if (RequestViews.Read(c.Protocol, c.Id, bytes) is not { } viewed)
                return; // no view: a list first, or a layout that changed between versions
            Assert.True(viewed.Count > 0);
            foreach (var (name, value) in viewed)
                Assert.True(decoded[name].Equals(value), $"seed {seed}, sample {i}: the view reads {name} = {value}, the codec {decoded[name]}");
        }
    }

    [Fact]
    public void Most_commands_have_a_view_and_a_short_body_is_refused()
    {
        var withView = SchemaSampler.AllLayouts().Count(c => c.Kind == ScmiMessageKind.Command && RequestViews.Read(c.Protocol, c.Id, new byte[64]) is not null);
        Assert.True(withView >= 60, $"only {withView} commands have a request view");
        var e = Assert.Throws<ArgumentException>(() => new ClockMessages.ClockRateSetView(new byte[15]));
        Assert.Contains("needs 16 bytes of parameters, got 15", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_name_their_command()
    {
        IScmiRequest request = new ClockMessages.ClockRateSetRequest(Async: true, IgnoreDelayedResponse: false, Rounding: 1, ClockId: 3, Rate: 1_000_000);

        Assert.Equal(ScmiProtocolId.CLOCK, request.Protocol);
        Assert.Equal((byte)ClockMessageId.CLOCK_RATE_SET, request.MessageId);
        var bytes = LayoutCodec.EncodeToArray(ScmiCatalog.Get(ScmiProtocolId.CLOCK).FindMessage(request.MessageId)!.Request, request.ToFields());
        Assert.Equal([0x05, 0, 0, 0, 3, 0, 0, 0, 0x40, 0x42, 0x0F, 0, 0, 0, 0, 0], bytes);
    }

    [Fact]
    public void Fields_an_older_version_lacks_are_null()
    {
        // Sensor v1.0's delayed reading is one bare value; v2.0 on sends readings.
        var v1 = ScmiCatalog.Get(ScmiProtocolId.SENSOR).At(0x10000).FindMessage((byte)SensorMessageId.SENSOR_READING_GET)!.DelayedResponse!;
        var fields = LayoutCodec.Decode(v1, [2, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        var record = SensorMessages.SensorReadingGetDelayed.From(fields);

        Assert.Equal(2u, record.SensorId);
        Assert.Equal(-2L, record.Value);
        Assert.Null(record.Readings);
    }

    [Fact]
    public void A_missing_required_field_is_refused()
    {
        Assert.Throws<KeyNotFoundException>(() => PerfMessages.PerformanceLevelGetResponse.From(new FieldSet()));
    }
}
