using System.Collections;

namespace Vscmi.Protocol.Schema;

/// <summary>A decoded or to-be-encoded field value.</summary>
public abstract record FieldValue;

/// <summary>An integer; signed fields hold their value sign-extended to 64 bits.</summary>
/// <param name="Bits">The raw bits.</param>
public sealed record ScalarValue(ulong Bits) : FieldValue
{
    /// <summary>The value read as signed.</summary>
    public long AsInt64 => unchecked((long)Bits);
}

/// <summary>A name field.</summary>
/// <param name="Value">The text before the NUL terminator.</param>
public sealed record TextValue(string Value) : FieldValue;

/// <summary>A list of numbers (ids, rates, levels, intervals).</summary>
/// <param name="Items">The elements; signed elements are sign-extended.</param>
public sealed record NumberListValue(IReadOnlyList<ulong> Items) : FieldValue
{
    /// <inheritdoc />
    public bool Equals(NumberListValue? other) => other is not null && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => Items.Count;
}

/// <summary>A list of structured entries (sensor descriptors, performance levels...).</summary>
/// <param name="Items">One field set per entry.</param>
public sealed record RecordListValue(IReadOnlyList<FieldSet> Items) : FieldValue
{
    /// <inheritdoc />
    public bool Equals(RecordListValue? other) => other is not null && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => Items.Count;
}

/// <summary>
/// The named field values of one message body or one list entry, in wire order. Bit fields are
/// stored under their own names (a count word's <c>returned</c> and <c>remaining</c> are two entries).
/// </summary>
public sealed class FieldSet : IEnumerable<KeyValuePair<string, FieldValue>>, IEquatable<FieldSet>
{
    private readonly List<KeyValuePair<string, FieldValue>> _items = [];

    /// <summary>Number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>Sets (or replaces) a value.</summary>
    public FieldSet Set(string name, FieldValue value)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (_items[i].Key == name)
            {
                _items[i] = new(name, value);
                return this;
            }
        }

        _items.Add(new(name, value));
        return this;
    }

    /// <summary>Sets an unsigned integer.</summary>
    public FieldSet Set(string name, ulong value) => Set(name, new ScalarValue(value));

    /// <summary>Sets a signed integer.</summary>
    public FieldSet Set(string name, long value) => Set(name, new ScalarValue(unchecked((ulong)value)));

    /// <summary>Sets a name.</summary>
    public FieldSet Set(string name, string value) => Set(name, new TextValue(value));

    /// <summary>Sets a list of numbers.</summary>
    public FieldSet Set(string name, IReadOnlyList<ulong> values) => Set(name, new NumberListValue(values));

    /// <summary>Sets a list of entries.</summary>
    public FieldSet Set(string name, IReadOnlyList<FieldSet> entries) => Set(name, new RecordListValue(entries));

    /// <summary>Finds a value by name.</summary>
    public bool TryGet(string name, out FieldValue value)
    {
        foreach (var item in _items)
        {
            if (item.Key == name)
            {
                value = item.Value;
                return true;
            }
        }

        value = null!;
        return false;
    }

    /// <summary>Gets a value by name.</summary>
    /// <exception cref="KeyNotFoundException">There is no such field.</exception>
    public FieldValue this[string name] =>
        TryGet(name, out var value) ? value : throw new KeyNotFoundException($"no field named {name}");

    /// <summary>Gets an integer field as unsigned.</summary>
    public ulong GetUInt64(string name) => this[name] is ScalarValue s
        ? s.Bits
        : throw new InvalidOperationException($"field {name} is not a number");

    /// <summary>Gets an integer field as signed.</summary>
    public long GetInt64(string name) => unchecked((long)GetUInt64(name));

    /// <summary>Gets a 32-bit field.</summary>
    public uint GetUInt32(string name) => checked((uint)GetUInt64(name));

    /// <summary>Gets a name field.</summary>
    public string GetText(string name) => this[name] is TextValue t
        ? t.Value
        : throw new InvalidOperationException($"field {name} is not a name");

    /// <summary>Gets a list of numbers.</summary>
    public IReadOnlyList<ulong> GetNumbers(string name) => this[name] is NumberListValue n
        ? n.Items
        : throw new InvalidOperationException($"field {name} is not a list of numbers");

    /// <summary>Gets a list of entries.</summary>
    public IReadOnlyList<FieldSet> GetRecords(string name) => this[name] is RecordListValue r
        ? r.Items
        : throw new InvalidOperationException($"field {name} is not a list of entries");

    /// <summary>An integer field as unsigned, or null when absent (optional and version-dependent fields).</summary>
    public ulong? FindUInt64(string name) => TryGet(name, out var v) ? (v as ScalarValue ?? throw new InvalidOperationException($"field {name} is not a number")).Bits : null;

    /// <summary>An integer field as signed, or null when absent.</summary>
    public long? FindInt64(string name) => FindUInt64(name) is { } bits ? unchecked((long)bits) : null;

    /// <summary>A name field, or null when absent.</summary>
    public string? FindText(string name) => TryGet(name, out _) ? GetText(name) : null;

    /// <summary>A list of numbers, or null when absent.</summary>
    public IReadOnlyList<ulong>? FindNumbers(string name) => TryGet(name, out _) ? GetNumbers(name) : null;

    /// <summary>A list of entries, or null when absent.</summary>
    public IReadOnlyList<FieldSet>? FindRecords(string name) => TryGet(name, out _) ? GetRecords(name) : null;

    /// <summary>Each entry as a typed record (generated code's list reader).</summary>
    public static IReadOnlyList<T> Map<T>(IReadOnlyList<FieldSet> entries, Func<FieldSet, T> from)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(from);
        var items = new T[entries.Count];
        for (var i = 0; i < items.Length; i++)
            items[i] = from(entries[i]);
        return items;
    }

    /// <summary>Sign-extended list elements read as signed.</summary>
    public static IReadOnlyList<long> AsSigned(IReadOnlyList<ulong> items) => [.. (items ?? throw new ArgumentNullException(nameof(items))).Select(i => unchecked((long)i))];

    /// <summary>Signed list elements as their two's complement, for encoding.</summary>
    public static IReadOnlyList<ulong> AsBits(IReadOnlyList<long> items) => [.. (items ?? throw new ArgumentNullException(nameof(items))).Select(i => unchecked((ulong)i))];

    /// <summary>Reads a scalar if present, for conditions evaluated while decoding.</summary>
    public ulong ValueOrZero(string name) => TryGet(name, out var v) && v is ScalarValue s ? s.Bits : 0;

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, FieldValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(FieldSet? other) => other is not null && _items.SequenceEqual(other._items);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FieldSet);

    /// <inheritdoc />
    public override int GetHashCode() => _items.Count;

    /// <inheritdoc />
    public override string ToString() => string.Join(' ', _items.Select(i => $"{i.Key}={i.Value}"));
}
