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

    /// <summary>True when the body has no fields at all.</summary>
    public bool IsEmpty => Fields.Count == 0;

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
