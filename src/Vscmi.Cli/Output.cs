using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Vscmi.Cli;

/// <summary>A column: its JSON key, its table header (null: JSON only), and how a value reads in the table.</summary>
internal sealed record Column(string Key, string? Header, Func<object?, string>? Format = null);

/// <summary>Prints rows as a table (Spectre.Console) or, with --json, as a JSON array of objects.</summary>
internal static class Output
{
    public static void Rows(bool json, string title, IReadOnlyList<Column> columns, IEnumerable<object?[]> rows)
    {
        var list = rows.ToList();
        if (json)
        {
            using var stdout = global::System.Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartArray();
                foreach (var row in list)
                    WriteObject(writer, columns.Select((c, i) => (c.Key, row[i])));
                writer.WriteEndArray();
            }

            stdout.Write("\n"u8);
            return;
        }

        WriteTable(title, columns, list);
    }

    /// <summary>One record: a JSON object with --json, else a one-row table.</summary>
    public static void Record(bool json, string title, IReadOnlyList<Column> columns, object?[] row)
    {
        if (json)
        {
            using var stdout = global::System.Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                WriteObject(writer, columns.Select((c, i) => (c.Key, row[i])));
            stdout.Write("\n"u8);
            return;
        }

        WriteTable(title, columns, [row]);
    }

    private static void WriteTable(string title, IReadOnlyList<Column> columns, IReadOnlyList<object?[]> rows)
    {
        var shown = columns.Select((c, i) => (Column: c, Index: i)).Where(c => c.Column.Header is not null).ToList();
        var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
        foreach (var (column, _) in shown)
            table.AddColumn(new TableColumn(column.Header!));
        foreach (var row in rows)
            table.AddRow(shown.Select(c => Markup.Escape(c.Column.Format?.Invoke(row[c.Index]) ?? Text(row[c.Index]))).ToArray());
        Console().Write(table);
    }

    public static void Object(bool json, string title, IReadOnlyList<(string Key, string Label, object? Value)> fields)
    {
        if (json)
        {
            using var stdout = global::System.Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                WriteObject(writer, fields.Select(f => (f.Key, f.Value)));
            stdout.Write("\n"u8);
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (_, label, value) in fields)
        {
            if (value is IEnumerable<object?[]>)
                continue;
            grid.AddRow(Markup.Escape(label), Markup.Escape(Text(value)));
        }

        Console().Write(new Panel(grid) { Header = new PanelHeader(title) });
    }

    public static IAnsiConsole Console() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(global::System.Console.Out),
        Interactive = InteractionSupport.Detect,
    });

    public static string Text(object? value) => value switch
    {
        null => "-",
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>1200000000 → "1.2 GHz".</summary>
    public static string Hertz(object? value) => value is ulong hz ? Scaled(hz, ["Hz", "kHz", "MHz", "GHz"]) : Text(value);

    public static string Microvolts(object? value) => value is int uv ? $"{uv / 1e6:0.######} V" : Text(value);

    private static string Scaled(double value, string[] units)
    {
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return $"{value.ToString("0.###", CultureInfo.InvariantCulture)} {units[unit]}";
    }

    private static void WriteObject(Utf8JsonWriter writer, IEnumerable<(string Key, object? Value)> fields)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in fields)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case int i: writer.WriteNumberValue(i); break;
            case uint u: writer.WriteNumberValue(u); break;
            case long l: writer.WriteNumberValue(l); break;
            case ulong ul: writer.WriteNumberValue(ul); break;
            case double d: writer.WriteNumberValue(d); break;
            case IEnumerable<(string, object?)> obj: WriteObject(writer, obj); break;
            case System.Collections.IEnumerable e:
                writer.WriteStartArray();
                foreach (var item in e)
                    WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }
}
