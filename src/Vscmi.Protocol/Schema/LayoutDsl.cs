namespace Vscmi.Protocol.Schema;

/// <summary>
/// The little language the protocol tables are written in: <c>LayoutDsl.Of(LayoutDsl.U32("clock_id"))</c> (the protocol files import it with <c>using static</c>).
/// Each helper makes one <see cref="FieldSpec"/>; nothing here runs per message.
/// </summary>
public static class LayoutDsl
{
    /// <summary>A layout from fields.</summary>
    public static Layout Of(params FieldSpec[] fields) => new(fields, []);

    /// <summary>A layout from fields with cross-field rules.</summary>
    public static Layout Of(LayoutRule[] rules, params FieldSpec[] fields) => new(fields, rules);

    /// <summary>An unsigned 32-bit word.</summary>
    public static NumberSpec U32(string name, NumberDisplay display = NumberDisplay.Decimal, ValueNames? values = null) =>
        new(name, 32, false, display, values);

    /// <summary>
    /// A 32-bit id of one of the protocol's resources (domain, clock, sensor): where device
    /// permissions and per-agent id views apply, found from the description, not from the name.
    /// </summary>
    public static NumberSpec ResourceId(string name) => new(name, 32, false, NumberDisplay.Decimal, null, isResourceId: true);

    /// <summary>A 32-bit word shown in hex.</summary>
    public static NumberSpec Hex32(string name) => new(name, 32, false, NumberDisplay.Hex, null);

    /// <summary>A signed 32-bit word.</summary>
    public static NumberSpec S32(string name) => new(name, 32, true, NumberDisplay.Decimal, null);

    /// <summary>An unsigned 64-bit value (name_low, name_high on the wire).</summary>
    public static NumberSpec U64(string name, NumberDisplay display = NumberDisplay.Decimal) =>
        new(name, 64, false, display, null);

    /// <summary>A signed 64-bit value (name_low, name_high on the wire).</summary>
    public static NumberSpec S64(string name) => new(name, 64, true, NumberDisplay.Decimal, null);

    /// <summary>A 16-byte short name.</summary>
    public static NameSpec Name16(string name = "name") => new(name, 16);

    /// <summary>A 64-byte extended name.</summary>
    public static NameSpec Name64(string name = "name") => new(name, 64);

    /// <summary>A word of bit fields; bits not listed are reserved.</summary>
    public static BitsSpec Bits(string name, params BitFieldSpec[] fields) => new(name, fields);

    /// <summary>A word whose every bit is reserved.</summary>
    public static BitsSpec Reserved(string name) => new(name, []);

    /// <summary>A one-bit flag.</summary>
    public static BitFieldSpec Flag(string name, int bit) => new(name, bit, 1, false, NumberDisplay.Decimal, null);

    /// <summary>An unsigned bit field of <paramref name="width"/> bits from <paramref name="low"/>.</summary>
    public static BitFieldSpec Field(string name, int low, int width, ValueNames? values = null, NumberDisplay display = NumberDisplay.Decimal) =>
        new(name, low, width, false, display, values);

    /// <summary>A signed (two's complement) bit field, such as a power-of-ten exponent.</summary>
    public static BitFieldSpec Signed(string name, int low, int width) => new(name, low, width, true, NumberDisplay.Decimal, null);

    /// <summary>An array whose count is held in <paramref name="countField"/>.</summary>
    public static ArraySpec Array(string name, string countField, ElementKind kind, NumberDisplay display = NumberDisplay.Decimal) =>
        new(name, countField, kind, null, display);

    /// <summary>An array of entries whose count is held in <paramref name="countField"/>.</summary>
    public static ArraySpec Records(string name, string countField, Layout entry) =>
        new(name, countField, ElementKind.Record, entry, NumberDisplay.Decimal);

    /// <summary>An array of entries filling the rest of the body.</summary>
    public static ArraySpec RestRecords(string name, Layout entry) =>
        new(name, null, ElementKind.Record, entry, NumberDisplay.Decimal);

    /// <summary>Fields present only when <paramref name="condition"/> holds over the fields before them.</summary>
    public static ConditionalSpec When(string description, FieldCondition condition, params FieldSpec[] fields) =>
        new(description, condition, new Layout(fields, []));

    /// <summary>A rule: when <paramref name="field"/> = <paramref name="value"/>, the required fields hold the given values.</summary>
    public static LayoutRule Rule(string description, string field, ulong value, params (string Field, ulong Value)[] required) =>
        new(field, value, required.Select(r => new KeyValuePair<string, ulong>(r.Field, r.Value)).ToArray(), description);

    /// <summary>Named values; unnamed ones are reserved unless <paramref name="isReserved"/> decides.</summary>
    public static ValueNames Names(Func<ulong, bool>? isReserved, params (ulong Value, string Name)[] names) =>
        new(names.Select(n => new KeyValuePair<ulong, string>(n.Value, n.Name)), isReserved);

    /// <summary>Named values where every unnamed value is reserved.</summary>
    public static ValueNames Names(params (ulong Value, string Name)[] names) => Names(null, names);
}
