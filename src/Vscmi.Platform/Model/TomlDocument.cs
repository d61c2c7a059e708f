using System.Globalization;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Vscmi.Platform.Model;

/// <summary>A configuration error, located at file:line:column.</summary>
public sealed class ModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public ModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ModelException()
        : base("invalid device model")
    {
    }
}

/// <summary>Where a value or key stands in its file.</summary>
internal readonly record struct TomlLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";

    public ModelException Error(string message) => new($"{this}: {message}");
}

/// <summary>A TOML value with its location: a table, an array, or a scalar.</summary>
internal abstract class TomlNode(TomlLocation location)
{
    public TomlLocation Location { get; } = location;

    public abstract string Kind { get; }
}

internal sealed class TomlScalar(TomlLocation location, object value) : TomlNode(location)
{
    public object Value { get; } = value;

    public override string Kind => Value switch
    {
        string => "a string",
        long => "an integer",
        double => "a number",
        bool => "a boolean",
        _ => "a date",
    };
}

internal sealed class TomlList(TomlLocation location, List<TomlNode> items, bool ofTables) : TomlNode(location)
{
    public List<TomlNode> Items { get; } = items;

    /// <summary>True for a <c>[[name]]</c> array of tables.</summary>
    public bool OfTables { get; } = ofTables;

    public override string Kind => OfTables ? "an array of tables" : "an array";
}

/// <summary>
/// A table that remembers which keys were read, so that every key nobody asked for is reported
/// as unknown with its location (STYLE 9: unknown keys are hard errors).
/// </summary>
internal sealed class TomlTableNode(TomlLocation location, string path) : TomlNode(location)
{
    private readonly Dictionary<string, (TomlNode Node, TomlLocation KeyLocation)> _items = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>The table's dotted path, for messages ("clock[2]").</summary>
    public string Path { get; } = path;

    public override string Kind => "a table";

    public IEnumerable<string> Keys => _items.Keys;

    public void Add(string key, TomlNode node, TomlLocation keyLocation)
    {
        if (!_items.TryAdd(key, (node, keyLocation)))
            throw keyLocation.Error($"duplicate key '{key}' in {Describe()}");
    }

    public bool TryGetRaw(string key, out TomlNode node)
    {
        _read.Add(key);
        if (_items.TryGetValue(key, out var item))
        {
            node = item.Node;
            return true;
        }

        node = null!;
        return false;
    }

    public TomlNode? Peek(string key) => _items.TryGetValue(key, out var item) ? item.Node : null;

    /// <summary>Throws for the first key that was never read.</summary>
    public void RejectUnknownKeys(IEnumerable<string>? allowedForMessage = null)
    {
        foreach (var (key, item) in _items)
        {
            if (_read.Contains(key))
                continue;
            var allowed = allowedForMessage ?? _read;
            throw item.KeyLocation.Error($"unknown key '{key}' in {Describe()} (known keys: {string.Join(", ", allowed.Order(StringComparer.Ordinal))})");
        }
    }

    public string Describe() => Path.Length == 0 ? "the top level" : $"[{Path}]";

    // Typed accessors: each names the key, the table and the location in its error.
    public string? String(string key)
    {
        if (!TryGetRaw(key, out var node))
            return null;
        return node is TomlScalar { Value: string value } ? value : throw node.Location.Error($"'{key}' in {Describe()} must be a string, not {node.Kind}");
    }

    public string RequiredString(string key) => String(key) ?? throw Missing(key);

    public long? Integer(string key) => Scalar<long>(key, "an integer");

    public bool? Boolean(string key) => Scalar<bool>(key, "a boolean");

    public double? Number(string key)
    {
        if (!TryGetRaw(key, out var node))
            return null;
        return node is TomlScalar { Value: long l } ? l
            : node is TomlScalar { Value: double d } ? d
            : throw node.Location.Error($"'{key}' in {Describe()} must be a number, not {node.Kind}");
    }

    public TomlTableNode? Table(string key)
    {
        if (!TryGetRaw(key, out var node))
            return null;
        return node as TomlTableNode ?? throw node.Location.Error($"'{key}' in {Describe()} must be a table, not {node.Kind}");
    }

    public IReadOnlyList<TomlTableNode> Tables(string key)
    {
        if (!TryGetRaw(key, out var node))
            return [];
        if (node is TomlList list && list.Items.All(i => i is TomlTableNode))
            return list.Items.Cast<TomlTableNode>().ToList();
        throw node.Location.Error($"'{key}' in {Describe()} must be an array of tables ([[{key}]]), not {node.Kind}");
    }

    public IReadOnlyList<TomlNode>? List(string key)
    {
        if (!TryGetRaw(key, out var node))
            return null;
        return node is TomlList list ? list.Items : throw node.Location.Error($"'{key}' in {Describe()} must be an array, not {node.Kind}");
    }

    public TomlLocation LocationOf(string key) => _items.TryGetValue(key, out var item) ? item.Node.Location : Location;

    public ModelException Missing(string key) => Location.Error($"{Describe()} needs '{key}'");

    private T? Scalar<T>(string key, string what)
        where T : struct
    {
        if (!TryGetRaw(key, out var node))
            return null;
        return node is TomlScalar { Value: T value } ? value : throw node.Location.Error($"'{key}' in {Describe()} must be {what}, not {node.Kind}");
    }
}

/// <summary>Parses TOML text into located nodes (Tomlyn's syntax tree carries the positions).</summary>
internal static class TomlDocument
{
    /// <summary>
    /// The first line at which the parser throws (instead of reporting a diagnostic), found by
    /// parsing growing prefixes; only used on that rare error path.
    /// </summary>
    private static int FirstThrowingLine(string text, string file)
    {
        var end = 0;
        for (var line = 1; end < text.Length; line++)
        {
            var next = text.IndexOf('\n', end);
            end = next < 0 ? text.Length : next + 1;
            try
            {
                SyntaxParser.Parse(text[..end], file);
            }
            catch (Exception e) when (e is ArgumentException or TomlException)
            {
                return line;
            }
        }

        return 1;
    }

    public static TomlTableNode Parse(string text, string file)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, file);
        }
        catch (ArgumentException e)
        {
            // Tomlyn 2.10 throws instead of reporting a diagnostic for some malformed escapes (a
            // backslash before a character outside the Basic Multilingual Plane); found by
            // fuzzing the loader.
            throw new ModelException($"{file}:{FirstThrowingLine(text, file)}:1: malformed text (an invalid escape sequence?): {e.Message}", e);
        }
        catch (TomlException e)
        {
            // Arrays or inline tables nested deeper than the parser's limit (64) throw too; found by
            // AFL++ on the model target (issue 19): a reload of such a file must be refused, not crash.
            throw new ModelException($"{file}:{FirstThrowingLine(text, file)}:1: nested too deeply (at most 64 levels of arrays and inline tables)", e);
        }

        if (document.HasErrors)
        {
            var first = document.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            throw new ModelException($"{Locate(file, first.Span)}: {first.Message}");
        }

        var root = new TomlTableNode(new TomlLocation(file, 1, 1), "");
        foreach (var keyValue in document.KeyValues)
            AddKeyValue(root, keyValue, file);
        foreach (var table in document.Tables)
        {
            var location = Locate(file, table.Span);
            var names = KeyParts(table.Name!);
            var parent = root;
            for (var i = 0; i < names.Count - 1; i++)
                parent = Descend(parent, names[i], location);
            var last = names[^1];
            var path = parent.Path.Length == 0 ? last : $"{parent.Path}.{last}";
            TomlTableNode target;
            if (table is TableArraySyntax)
            {
                var list = parent.Peek(last) as TomlList;
                if (list is null)
                {
                    if (parent.Peek(last) is not null)
                        throw location.Error($"'{last}' is already defined and is not an array of tables");
                    list = new TomlList(location, [], ofTables: true);
                    parent.Add(last, list, location);
                }

                target = new TomlTableNode(location, $"{path}[{list.Items.Count}]");
                list.Items.Add(target);
            }
            else
            {
                if (parent.Peek(last) is not null)
                    throw location.Error($"table [{path}] is defined twice");
                target = new TomlTableNode(location, path);
                parent.Add(last, target, location);
            }

            foreach (var keyValue in table.Items)
                AddKeyValue(target, keyValue, file);
        }

        return root;
    }

    private static TomlTableNode Descend(TomlTableNode parent, string name, TomlLocation location)
    {
        switch (parent.Peek(name))
        {
            case TomlTableNode table:
                return table;
            case TomlList { OfTables: true } list when list.Items.Count > 0:
                return (TomlTableNode)list.Items[^1];
            case null:
                var created = new TomlTableNode(location, parent.Path.Length == 0 ? name : $"{parent.Path}.{name}");
                parent.Add(name, created, location);
                return created;
            default:
                throw location.Error($"'{name}' is not a table");
        }
    }

    private static void AddKeyValue(TomlTableNode table, KeyValueSyntax keyValue, string file)
    {
        var location = Locate(file, keyValue.Span);
        var names = KeyParts(keyValue.Key!);
        var target = table;
        for (var i = 0; i < names.Count - 1; i++)
            target = Descend(target, names[i], location);
        target.Add(names[^1], Convert(keyValue.Value!, file, target.Path.Length == 0 ? names[^1] : $"{target.Path}.{names[^1]}"), location);
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key!) };
        foreach (var dotted in key.DotKeys)
            parts.Add(KeyText(dotted.Key!));
        return parts;
    }

    private static string KeyText(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key!.Text!,
        StringValueSyntax s => s.Value!,
        _ => key.ToString() ?? "",
    };

    private static TomlNode Convert(ValueSyntax value, string file, string path)
    {
        var location = Locate(file, value.Span);
        switch (value)
        {
            case StringValueSyntax s:
                return new TomlScalar(location, s.Value ?? "");
            case IntegerValueSyntax i:
                return new TomlScalar(location, i.Value);
            case FloatValueSyntax f:
                return new TomlScalar(location, f.Value);
            case BooleanValueSyntax b:
                return new TomlScalar(location, b.Value);
            case ArraySyntax a:
                return new TomlList(location, a.Items.Select(item => Convert(item.Value!, file, path)).ToList(), ofTables: false);
            case InlineTableSyntax t:
            {
                var table = new TomlTableNode(location, path);
                foreach (var item in t.Items)
                    AddKeyValue(table, item.KeyValue!, file);
                return table;
            }

            default:
                return new TomlScalar(location, value.ToString() ?? "");
        }
    }

    private static TomlLocation Locate(string file, SourceSpan span) =>
        new(file, span.Start.Line + 1, span.Start.Column + 1);
}

/// <summary>Integer helpers that name the key when a value does not fit.</summary>
internal static class TomlChecks
{
    public static uint ToUInt32(this TomlTableNode table, string key, long value) =>
        value is >= 0 and <= uint.MaxValue
            ? (uint)value
            : throw table.LocationOf(key).Error($"'{key}' in {table.Describe()} = {value.ToString(CultureInfo.InvariantCulture)} is out of range 0..{uint.MaxValue}");

    public static int ToInt32(this TomlTableNode table, string key, long value) =>
        value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw table.LocationOf(key).Error($"'{key}' in {table.Describe()} = {value.ToString(CultureInfo.InvariantCulture)} is out of range");
}
