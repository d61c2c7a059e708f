namespace Vscmi.Protocol.Schema;

/// <summary>
/// When an optional group of fields is present, as data rather than code, so every consumer of the
/// description (the codec, the formatter, the generated Wireshark dissector) reads the same rule.
/// Fields named here are earlier fields of the same record; a field not decoded counts as 0.
/// </summary>
public abstract class FieldCondition
{
    private protected FieldCondition()
    {
    }

    /// <summary>Whether the condition holds over the fields decoded so far.</summary>
    public abstract bool Holds(FieldSet fields);

    /// <summary>The field <paramref name="field"/> equals <paramref name="value"/>.</summary>
    public static FieldCondition Is(string field, ulong value) => new Equal(field, value);

    /// <summary>Every condition holds.</summary>
    public static FieldCondition All(params FieldCondition[] conditions) => new Combined(conditions, all: true);

    /// <summary>At least one condition holds.</summary>
    public static FieldCondition Any(params FieldCondition[] conditions) => new Combined(conditions, all: false);

    /// <summary>One comparison: <see cref="Field"/> = <see cref="Value"/>.</summary>
    public sealed class Equal(string field, ulong value) : FieldCondition
    {
        /// <summary>The field compared.</summary>
        public string Field { get; } = field;

        /// <summary>The value it must have.</summary>
        public ulong Value { get; } = value;

        /// <inheritdoc />
        public override bool Holds(FieldSet fields)
        {
            ArgumentNullException.ThrowIfNull(fields);
            return fields.ValueOrZero(Field) == Value;
        }

        /// <inheritdoc />
        public override string ToString() => $"{Field} = {Value}";
    }

    /// <summary>A conjunction or disjunction of conditions.</summary>
    public sealed class Combined(IReadOnlyList<FieldCondition> parts, bool all) : FieldCondition
    {
        /// <summary>The conditions combined.</summary>
        public IReadOnlyList<FieldCondition> Parts { get; } = parts;

        /// <summary>True: all must hold; false: any.</summary>
        public bool IsAll { get; } = all;

        /// <inheritdoc />
        public override bool Holds(FieldSet fields) => IsAll ? Parts.All(p => p.Holds(fields)) : Parts.Any(p => p.Holds(fields));

        /// <inheritdoc />
        public override string ToString() => "(" + string.Join(IsAll ? " and " : " or ", Parts) + ")";
    }
}
