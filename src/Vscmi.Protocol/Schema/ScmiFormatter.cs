using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vscmi.Protocol.Schema;

/// <summary>
/// Turns a decoded message into one readable line (<c>CLOCK 0x14 CLOCK_RATE_GET command token=5 clock_id=3</c>)
/// or JSON. Both walk the same layout the message was decoded with.
/// </summary>
public static class ScmiFormatter
{
    /// <summary>The one-line form.</summary>
    public static string Format(ScmiMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{message.Protocol.ShortName} 0x{(byte)message.Protocol.Id:X2} {message.Name} {ScmiMessageCodec.KindName(message.Kind)}");
        if (message.Kind != ScmiMessageKind.Notification)
            text.Append(CultureInfo.InvariantCulture, $" token={message.Header.Token}");
        if (message.Status is { } status)
            text.Append(" status=").Append(ScmiStatusNames.Describe(status));
        if (message.Layout is { } layout)
            AppendFields(text, layout, message.Fields);
        return text.ToString();
    }

    /// <summary>
    /// The one-line form of a message seen on a channel (a trace, a replay): a type-0 message is a
    /// command when it went to the platform and a response otherwise; decoded leniently; hex with
    /// the reason when it does not decode.
    /// </summary>
    public static string Describe(ReadOnlySpan<byte> message, bool toPlatform)
    {
        var kind = message.Length >= ScmiHeader.Size && ScmiHeader.FromValueUnchecked(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(message)).Type == ScmiMessageType.COMMAND
            ? toPlatform ? ScmiMessageKind.Command : ScmiMessageKind.Response
            : (ScmiMessageKind?)null;
        try
        {
            return Format(ScmiMessageCodec.Decode(message, kind, new DecodeOptions(Lenient: true)));
        }
        catch (ScmiProtocolException e)
        {
            return $"{Convert.ToHexStringLower(message)} ({e.Message})";
        }
    }

    /// <summary>The fields of a body alone, space-separated (<c>clock_id=3 rate=1000</c>).</summary>
    public static string FormatFields(Layout layout, FieldSet fields)
    {
        var text = new StringBuilder();
        AppendFields(text, layout, fields);
        return text.ToString().TrimStart();
    }

    /// <summary>Writes the message as a JSON object: header parts, status, and every field by name.</summary>
    public static void WriteJson(Utf8JsonWriter json, ScmiMessage message)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(message);
        json.WriteStartObject();
        json.WriteString("protocol", message.Protocol.ShortName);
        json.WriteNumber("protocol_id", (byte)message.Protocol.Id);
        json.WriteString("message", message.Name);
        json.WriteNumber("message_id", message.Header.MessageId);
        json.WriteString("type", ScmiMessageCodec.KindName(message.Kind));
        json.WriteNumber("token", message.Header.Token);
        json.WriteString("header", $"0x{message.Header.Value:X8}");
        if (message.Status is { } status)
        {
            json.WriteNumber("status_code", status);
            json.WriteString("status", ScmiStatusNames.Describe(status));
        }

        json.WritePropertyName("fields");
        WriteJsonFields(json, message.Layout, message.Fields);
        json.WriteEndObject();
    }

    private static void AppendFields(StringBuilder text, Layout layout, FieldSet values)
    {
        foreach (var field in layout.Fields)
        {
            switch (field)
            {
                case NumberSpec number when values.TryGet(number.Name, out var v) && v is ScalarValue s:
                    text.Append(' ').Append(number.Name).Append('=').Append(Number(s.Bits, number.Signed, number.Display, number.Values));
                    break;
                case NameSpec name when values.TryGet(name.Name, out var v) && v is TextValue t:
                    text.Append(' ').Append(name.Name).Append('=').Append(Quote(t.Value));
                    break;
                case BitsSpec bits:
                    AppendBits(text, bits, values);
                    break;
                case ArraySpec array when values.TryGet(array.Name, out var v):
                    text.Append(' ').Append(array.Name).Append('=').Append(List(array, v));
                    break;
                case ConditionalSpec conditional when conditional.Predicate(values):
                    AppendFields(text, conditional.Fields, values);
                    break;
            }
        }
    }

    private static void AppendBits(StringBuilder text, BitsSpec bits, FieldSet values)
    {
        var flags = bits.Fields.Where(f => f.IsFlag).ToList();
        if (flags.Count >= 2)
        {
            var set = flags.Where(f => values.ValueOrZero(f.Name) != 0).Select(f => f.Name);
            text.Append(' ').Append(bits.Name).Append("={").AppendJoin(',', set).Append('}');
        }

        foreach (var sub in bits.Fields)
        {
            if (sub.IsFlag && flags.Count >= 2)
                continue;
            text.Append(' ').Append(sub.Name).Append('=').Append(Number(values.ValueOrZero(sub.Name), sub.Signed, sub.Display, sub.Values));
        }
    }

    private static string List(ArraySpec array, FieldValue value) => value switch
    {
        NumberListValue numbers => "[" + string.Join(',', numbers.Items.Select(n =>
            Number(n, array.Kind == ElementKind.S32, array.Display, null))) + "]",
        RecordListValue records => "[" + string.Join(',', records.Items.Select(r => "{" + FormatFields(array.Entry!, r) + "}")) + "]",
        _ => "?",
    };

    private static string Number(ulong bits, bool signed, NumberDisplay display, ValueNames? names)
    {
        if (names?.NameOf(bits) is { } name)
            return name;
        if (signed)
            return unchecked((long)bits).ToString(CultureInfo.InvariantCulture);
        return display == NumberDisplay.Hex
            ? "0x" + bits.ToString("X", CultureInfo.InvariantCulture)
            : bits.ToString(CultureInfo.InvariantCulture);
    }

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\')
                quoted.Append('\\').Append(c);
            else if (c < 0x20 || c > 0x7E)
                quoted.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            else
                quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }

    private static void WriteJsonFields(Utf8JsonWriter json, Layout? layout, FieldSet values)
    {
        json.WriteStartObject();
        foreach (var (name, value) in values)
        {
            json.WritePropertyName(name);
            WriteJsonValue(json, IsSigned(layout, name), FindEntry(layout, name), value);
        }

        json.WriteEndObject();
    }

    private static Layout? FindEntry(Layout? layout, string name) =>
        layout?.Fields.OfType<ArraySpec>().FirstOrDefault(a => a.Name == name)?.Entry;

    private static void WriteJsonValue(Utf8JsonWriter json, bool signed, Layout? entry, FieldValue value)
    {
        switch (value)
        {
            case ScalarValue s when signed:
                json.WriteNumberValue(s.AsInt64);
                break;
            case ScalarValue s:
                json.WriteNumberValue(s.Bits);
                break;
            case TextValue t:
                json.WriteStringValue(t.Value);
                break;
            case NumberListValue n:
                json.WriteStartArray();
                foreach (var item in n.Items)
                    json.WriteNumberValue(signed ? unchecked((long)item) : (decimal)item);
                json.WriteEndArray();
                break;
            case RecordListValue r:
                json.WriteStartArray();
                foreach (var item in r.Items)
                    WriteJsonFields(json, entry, item);
                json.WriteEndArray();
                break;
        }
    }

    // Signedness matters only for JSON numbers; it is looked up in the layout by name.
    private static bool IsSigned(Layout? layout, string name)
    {
        if (layout is null)
            return false;
        foreach (var field in layout.Fields)
        {
            switch (field)
            {
                case NumberSpec n when n.Name == name:
                    return n.Signed;
                case BitsSpec b when b.Fields.FirstOrDefault(f => f.Name == name) is { } sub:
                    return sub.Signed;
                case ArraySpec a when a.Name == name:
                    return a.Kind == ElementKind.S32;
                case ConditionalSpec c when IsSigned(c.Fields, name):
                    return true;
            }
        }

        return false;
    }
}
