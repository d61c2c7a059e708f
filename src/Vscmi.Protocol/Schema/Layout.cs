namespace Vscmi.Protocol.Schema;

/// <summary>
/// The ordered fields of one message body (after the header, and after the status word for
/// responses). One layout is the single description from which decoding, encoding, length
/// checks, formatting and test generators are derived (STYLE 23).
/// </summary>
public sealed class Layout
{
    /// <summary>A body with no fields.</summary>
    public static readonly Layout Empty = new([], []);

    internal Layout(IReadOnlyList<FieldSpec> fields, IReadOnlyList<LayoutRule> rules)
    {
        Fields = fields;
        Rules = rules;
        MinSize = fields.Sum(f => f.FixedSize);
        IsFixed = fields.All(f => f is NumberSpec or BitsSpec or NameSpec);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in AllNames(fields))
        {
            if (!names.Add(name))
                throw new ArgumentException($"field name {name} is used twice in one layout");
        }

        foreach (var array in fields.OfType<ArraySpec>())
        {
            if (array.CountField is { } count && !names.Contains(count))
                throw new ArgumentException($"array {array.Name} counts from unknown field {count}");
        }

        ResourceIdOffset = FindResourceIdOffset(fields);
        CountFields = fields.OfType<ArraySpec>()
            .Concat(fields.OfType<ConditionalSpec>().SelectMany(c => c.Fields.Fields.OfType<ArraySpec>()))
            .Where(a => a.CountField is not null)
            .ToDictionary(a => a.CountField!, a => a.Name, StringComparer.Ordinal);
    }

    /// <summary>The fields in wire order.</summary>
    public IReadOnlyList<FieldSpec> Fields { get; }

    /// <summary>Cross-field rules checked after decoding.</summary>
    public IReadOnlyList<LayoutRule> Rules { get; }

    /// <summary>Bytes of the fields that are always present (the minimum length of a valid body).</summary>
    public int MinSize { get; }

    /// <summary>True when every field has a fixed size, so the body is exactly <see cref="MinSize"/> bytes.</summary>
    public bool IsFixed { get; }

    /// <summary>Count field name → the array it counts (lets the encoder derive counts).</summary>
    internal IReadOnlyDictionary<string, string> CountFields { get; }

    /// <summary>
    /// Byte offset of the first resource id (<see cref="NumberSpec.IsResourceId"/>) when it sits at
    /// a fixed offset (before any array or optional group); -1 when the body names no resource.
    /// </summary>
    public int ResourceIdOffset { get; }

    private static int FindResourceIdOffset(IReadOnlyList<FieldSpec> fields)
    {
        var offset = 0;
        foreach (var field in fields)
        {
            if (field is NumberSpec { IsResourceId: true })
                return offset;
            if (field is ArraySpec or ConditionalSpec)
                return -1;
            offset += field.FixedSize;
        }

        return -1;
    }

    /// <summary>True when the body has no fields at all.</summary>
    public bool IsEmpty => Fields.Count == 0;

    /// <summary>
    /// The width in bits of the number or bit field called <paramref name="name"/>, looked for in
    /// this layout and in the entries of its record arrays; null when there is none. What a model
    /// may declare is bounded by the fields that carry it (a count in 16 bits, say).
    /// </summary>
    public int? WidthOf(string name)
    {
        foreach (var field in Fields)
        {
            switch (field)
            {
                case NumberSpec number when number.Name == name:
                    return number.Bits;
                case BitsSpec bits when bits.Fields.FirstOrDefault(f => f.Name == name) is { } sub:
                    return sub.Width;
                case ArraySpec { Entry: { } entry } when entry.WidthOf(name) is { } width:
                    return width;
                case ConditionalSpec conditional when conditional.Fields.WidthOf(name) is { } width:
                    return width;
            }
        }

        return null;
    }

    /// <summary>The largest unsigned value the field called <paramref name="name"/> can carry (see <see cref="WidthOf"/>).</summary>
    public ulong MaxValueOf(string name) =>
        WidthOf(name) is { } width ? (width >= 64 ? ulong.MaxValue : (1UL << width) - 1) : throw new ArgumentException($"the layout has no field {name}", nameof(name));

    private static IEnumerable<string> AllNames(IEnumerable<FieldSpec> fields)
    {
        foreach (var field in fields)
        {
            switch (field)
            {
                case BitsSpec bits:
                    foreach (var sub in bits.Fields)
                        yield return sub.Name;
                    break;
                case ConditionalSpec conditional:
                    foreach (var name in AllNames(conditional.Fields.Fields))
                        yield return name;
                    break;
                default:
                    yield return field.Name;
                    break;
            }
        }
    }
}
