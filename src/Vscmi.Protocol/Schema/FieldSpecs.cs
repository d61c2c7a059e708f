namespace Vscmi.Protocol.Schema;

/// <summary>How a number is shown by the formatter.</summary>
public enum NumberDisplay
{
    /// <summary>Decimal (counts, ids, rates, levels).</summary>
    Decimal,
    /// <summary>Hexadecimal with 0x (versions, addresses, masks, attribute words).</summary>
    Hex,
}

/// <summary>Names for the values of a field, and which values the specification reserves.</summary>
public sealed class ValueNames
{
    private readonly Dictionary<ulong, string> _names;
    private readonly Func<ulong, bool>? _isReserved;

    /// <summary>Creates the table. Values without a name are reserved unless <paramref name="isReserved"/> says otherwise.</summary>
    public ValueNames(IEnumerable<KeyValuePair<ulong, string>> names, Func<ulong, bool>? isReserved = null)
    {
        _names = new Dictionary<ulong, string>(names);
        _isReserved = isReserved;
    }

    /// <summary>Every named value.</summary>
    public IReadOnlyDictionary<ulong, string> Names => _names;

    /// <summary>The name of <paramref name="value"/>, if it has one.</summary>
    public string? NameOf(ulong value) => _names.TryGetValue(value, out var name) ? name : null;

    /// <summary>True if the specification reserves <paramref name="value"/>.</summary>
    public bool IsReserved(ulong value) => _isReserved?.Invoke(value) ?? !_names.ContainsKey(value);
}

/// <summary>One field of a message layout. Subclasses are the closed set of shapes SCMI uses.</summary>
public abstract class FieldSpec
{
    private protected FieldSpec(string name) => Name = name;

    /// <summary>The spec's field name (snake_case, as in DEN0056 and Linux).</summary>
    public string Name { get; }

    /// <summary>Bytes this field always occupies (0 for conditional groups and arrays).</summary>
    public abstract int FixedSize { get; }
}

/// <summary>A 32-bit word, or a 64-bit value sent as low then high word.</summary>
public sealed class NumberSpec : FieldSpec
{
    internal NumberSpec(string name, int bits, bool signed, NumberDisplay display, ValueNames? values, bool isResourceId = false)
        : base(name)
    {
        Bits = bits;
        Signed = signed;
        Display = display;
        Values = values;
        IsResourceId = isResourceId;
    }

    /// <summary>
    /// Whether the field names one of the protocol's resources (a domain, clock or sensor id): the
    /// platform checks device permissions against it and rewrites it into each agent's own ids.
    /// </summary>
    public bool IsResourceId { get; }

    /// <summary>32 or 64.</summary>
    public int Bits { get; }

    /// <summary>Two's complement (s32, s64).</summary>
    public bool Signed { get; }

    /// <summary>How the formatter shows it.</summary>
    public NumberDisplay Display { get; }

    /// <summary>Names of values, if the field is an enumeration.</summary>
    public ValueNames? Values { get; }

    /// <inheritdoc />
    public override int FixedSize => Bits / 8;
}

/// <summary>A fixed-size NUL-terminated ASCII name (16 bytes short names, 64 bytes extended names).</summary>
public sealed class NameSpec : FieldSpec
{
    internal NameSpec(string name, int size)
        : base(name) => Size = size;

    /// <summary>Bytes on the wire, terminator included.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public override int FixedSize => Size;
}

/// <summary>A bit field inside a <see cref="BitsSpec"/> word.</summary>
public sealed class BitFieldSpec
{
    internal BitFieldSpec(string name, int low, int width, bool signed, NumberDisplay display, ValueNames? values)
    {
        Name = name;
        Low = low;
        Width = width;
        Signed = signed;
        Display = display;
        Values = values;
    }

    /// <summary>The subfield's name; subfields are addressed by this name directly.</summary>
    public string Name { get; }

    /// <summary>Lowest bit.</summary>
    public int Low { get; }

    /// <summary>Number of bits.</summary>
    public int Width { get; }

    /// <summary>Two's complement (exponents).</summary>
    public bool Signed { get; }

    /// <summary>How the formatter shows it.</summary>
    public NumberDisplay Display { get; }

    /// <summary>Names of values, if it is an enumeration.</summary>
    public ValueNames? Values { get; }

    /// <summary>The mask of this field within the word.</summary>
    public uint Mask => (Width == 32 ? uint.MaxValue : ((1u << Width) - 1)) << Low;

    /// <summary>A one-bit, unsigned, unnamed flag (shown in the word's flag set).</summary>
    public bool IsFlag => Width == 1 && Values is null;
}

/// <summary>A 32-bit word made of named bit fields; every bit not listed is reserved and must be zero.</summary>
public sealed class BitsSpec : FieldSpec
{
    internal BitsSpec(string name, IReadOnlyList<BitFieldSpec> fields)
        : base(name)
    {
        Fields = fields;
        uint used = 0;
        foreach (var field in fields)
        {
            if ((used & field.Mask) != 0)
                throw new ArgumentException($"bit field {field.Name} of {name} overlaps another field");
            used |= field.Mask;
        }

        ReservedMask = ~used;
    }

    /// <summary>The subfields, lowest bit first or in spec order.</summary>
    public IReadOnlyList<BitFieldSpec> Fields { get; }

    /// <summary>Bits that must be zero.</summary>
    public uint ReservedMask { get; }

    /// <inheritdoc />
    public override int FixedSize => 4;
}

/// <summary>The element type of an <see cref="ArraySpec"/>.</summary>
public enum ElementKind
{
    /// <summary>Bytes, packed four per word, the last word zero-padded (BASE_DISCOVER_LIST_PROTOCOLS).</summary>
    U8PackedPadded,
    /// <summary>16-bit ids packed two per word; the final padding half-word is optional (PINCTRL_LIST_ASSOCIATIONS).</summary>
    U16Packed,
    /// <summary>32-bit words.</summary>
    U32,
    /// <summary>Signed 32-bit words.</summary>
    S32,
    /// <summary>64-bit values (low, high).</summary>
    U64,
    /// <summary>Structured entries described by <see cref="ArraySpec.Entry"/>.</summary>
    Record,
}

/// <summary>A list of elements whose count comes from an earlier field or from the bytes that remain.</summary>
public sealed class ArraySpec : FieldSpec
{
    internal ArraySpec(string name, string? countField, ElementKind kind, Layout? entry, NumberDisplay display)
        : base(name)
    {
        CountField = countField;
        Kind = kind;
        Entry = entry;
        Display = display;
    }

    /// <summary>The field (or bit field) that holds the count; null means "as many as the remaining bytes hold".</summary>
    public string? CountField { get; }

    /// <summary>The element type.</summary>
    public ElementKind Kind { get; }

    /// <summary>The entry layout when <see cref="Kind"/> is <see cref="ElementKind.Record"/>.</summary>
    public Layout? Entry { get; }

    /// <summary>How numeric elements are shown.</summary>
    public NumberDisplay Display { get; }

    /// <summary>Bytes per element (the minimum for records).</summary>
    public int ElementSize => Kind switch
    {
        ElementKind.U8PackedPadded => 1,
        ElementKind.U16Packed => 2,
        ElementKind.U32 or ElementKind.S32 => 4,
        ElementKind.U64 => 8,
        _ => Entry!.MinSize,
    };

    /// <inheritdoc />
    public override int FixedSize => 0;
}

/// <summary>Fields present only when a condition on earlier fields of the same record holds.</summary>
public sealed class ConditionalSpec : FieldSpec
{
    internal ConditionalSpec(string description, FieldCondition condition, Layout fields)
        : base(description)
    {
        Condition = condition;
        Fields = fields;
    }

    /// <summary>Decides, from the fields decoded so far, whether the group is present.</summary>
    public FieldCondition Condition { get; }

    /// <summary>Whether the group is present given the fields decoded so far.</summary>
    public bool Predicate(FieldSet values) => Condition.Holds(values);

    /// <summary>The fields of the group.</summary>
    public Layout Fields { get; }

    /// <inheritdoc />
    public override int FixedSize => 0;
}

/// <summary>
/// A cross-field rule: when <see cref="WhenField"/> equals <see cref="WhenValue"/>, the listed
/// fields must hold the listed values (the range-triplet rule: format = 1 → returned = 3, remaining = 0).
/// </summary>
public sealed record LayoutRule(string WhenField, ulong WhenValue, IReadOnlyList<KeyValuePair<string, ulong>> Required, string Description);
