using System.Text;

namespace Vscmi.Protocol.Schema;

/// <summary>How strictly a body is checked. The default (all-zero) value is strict.</summary>
/// <param name="Lenient">
/// When false (the default), reserved bits, reserved values and bytes after a name's terminator
/// must be zero. An agent talking to real firmware may set it; structure (lengths, counts) is
/// always checked.
/// </param>
public readonly record struct DecodeOptions(bool Lenient = false)
{
    /// <summary>
    /// The SCMI release the message belongs to (null: v3.2, what the catalog describes). Messages
    /// the release does not have are unknown; the others decode with that release's layouts.
    /// </summary>
    public Protocols.ScmiRelease? Release { get; init; }

    /// <summary>
    /// The protocol descriptions to decode against, by protocol id (an agent that learned each
    /// protocol's version from its platform); takes precedence over <see cref="Release"/>.
    /// </summary>
    public Func<byte, ProtocolSpec?>? Protocols { get; init; }

    internal ProtocolSpec? Resolve(byte protocolId) =>
        Protocols is { } resolve ? resolve(protocolId) : Release is { } release ? release.Protocol(protocolId) : Vscmi.Protocol.Protocols.ScmiCatalog.Find(protocolId);

    /// <summary>Strict checking.</summary>
    public static DecodeOptions Strict => default;

    /// <summary>Reserved bits and values are accepted.</summary>
    public static DecodeOptions Relaxed => new(Lenient: true);

    /// <summary>True when reserved bits and values must be zero.</summary>
    public bool IsStrict => !Lenient;
}

/// <summary>Decodes and encodes a body by walking its <see cref="Layout"/>.</summary>
public static class LayoutCodec
{
    /// <summary>Decodes a whole body: every byte must be described.</summary>
    /// <exception cref="ScmiProtocolException">The bytes do not match the layout; nothing is returned.</exception>
    public static FieldSet Decode(Layout layout, ReadOnlySpan<byte> body, DecodeOptions options = default)
    {
        // A fixed-size body of the wrong length is refused for its length before any field is
        // read, as Validate does: the two must answer the same status for every input (the
        // differential fuzz target found a long body with reserved bits set answered INVALID_PARAMETERS
        // by this decoder and PROTOCOL_ERROR by the platform's in-place check).
        if (layout.IsFixed)
            CheckFixedLength(layout, body);
        var reader = new ScmiReader(body);
        var values = new FieldSet();
        DecodeInto(layout, ref reader, options, values, isLast: true);
        reader.EnsureEnd();
        return values;
    }

    /// <summary>
    /// Checks a body against its layout. For fixed-size layouts (every request but one) it walks
    /// the words in place and allocates nothing — this is the platform's per-message check; other
    /// layouts fall back to <see cref="Decode"/>.
    /// </summary>
    /// <exception cref="ScmiProtocolException">The body does not match the layout.</exception>
    public static void Validate(Layout layout, ReadOnlySpan<byte> body, DecodeOptions options = default)
    {
        if (!layout.IsFixed)
        {
            Decode(layout, body, options);
            return;
        }

        CheckFixedLength(layout, body);
        if (!options.IsStrict)
            return;
        // Index loops: foreach over an IReadOnlyList boxes an enumerator, and this runs per message.
        var reader = new ScmiReader(body);
        var fields = layout.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            switch (fields[i])
            {
                case NumberSpec number:
                    ReadNumber(number, ref reader, options);
                    break;
                case BitsSpec bits:
                {
                    var offset = reader.Position;
                    var word = reader.ReadUInt32();
                    if ((word & bits.ReservedMask) != 0)
                        ThrowHelper.Throw(ScmiDecodeError.ReservedBits, $"{bits.Name} = 0x{word:X8} has reserved bits 0x{word & bits.ReservedMask:X8} set", offset);
                    for (var f = 0; f < bits.Fields.Count; f++)
                    {
                        var sub = bits.Fields[f];
                        if (sub.Values is { } names && !sub.Signed && names.IsReserved((word & sub.Mask) >> sub.Low))
                            ThrowHelper.Throw(ScmiDecodeError.BadValue, $"{sub.Name} = {(word & sub.Mask) >> sub.Low} is a reserved value", offset);
                    }

                    break;
                }

                case NameSpec name:
                    ReadName(name, ref reader, options);
                    break;
            }
        }
    }

    private static void CheckFixedLength(Layout layout, ReadOnlySpan<byte> body)
    {
        if (body.Length < layout.MinSize)
            ThrowHelper.ThrowTruncated(body.Length, layout.MinSize - body.Length, 0);
        if (body.Length > layout.MinSize)
            ThrowHelper.Throw(ScmiDecodeError.TrailingBytes, $"{body.Length - layout.MinSize} unexpected trailing byte(s)", layout.MinSize);
    }

    /// <summary>Encodes a body into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">A value is missing, too wide, or disagrees with its count field.</exception>
    /// <exception cref="ScmiProtocolException">The body does not fit (<see cref="ScmiDecodeError.TooLarge"/>).</exception>
    public static int Encode(Layout layout, FieldSet values, Span<byte> destination)
    {
        var writer = new ScmiWriter(destination);
        EncodeFrom(layout, values, ref writer);
        return writer.Position;
    }

    /// <summary>Encodes a body into a new array.</summary>
    public static byte[] EncodeToArray(Layout layout, FieldSet values) => ToArray(buffer => Encode(layout, values, buffer));

    /// <summary>Runs an encoder into a pooled scratch buffer and copies out what it wrote.</summary>
    /// <remarks>A fresh 64 KiB array per message cost the agent 66 KB a round trip (RoundTripBenchmarks).</remarks>
    internal static byte[] ToArray(Func<byte[], int> encode)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(65536);
        try
        {
            return buffer.AsSpan(0, encode(buffer)).ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void DecodeInto(Layout layout, ref ScmiReader reader, DecodeOptions options, FieldSet values, bool isLast)
    {
        var fields = layout.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            var lastField = isLast && i == fields.Count - 1;
            switch (fields[i])
            {
                case NumberSpec number:
                    values.Set(number.Name, new ScalarValue(ReadNumber(number, ref reader, options)));
                    break;
                case NameSpec name:
                    values.Set(name.Name, new TextValue(ReadName(name, ref reader, options)));
                    break;
                case BitsSpec bits:
                    ReadBits(bits, ref reader, options, values);
                    break;
                case ArraySpec array:
                    values.Set(array.Name, ReadArray(array, ref reader, options, values, lastField));
                    break;
                case ConditionalSpec conditional:
                    if (conditional.Predicate(values))
                        DecodeInto(conditional.Fields, ref reader, options, values, lastField);
                    break;
            }
        }

        foreach (var rule in layout.Rules)
        {
            if (values.ValueOrZero(rule.WhenField) != rule.WhenValue)
                continue;
            foreach (var required in rule.Required)
            {
                var actual = values.ValueOrZero(required.Key);
                if (actual != required.Value)
                    ThrowHelper.Throw(ScmiDecodeError.BadCount, $"{rule.Description}: {required.Key} is {actual}, must be {required.Value}");
            }
        }
    }

    private static ulong ReadNumber(NumberSpec spec, ref ScmiReader reader, DecodeOptions options)
    {
        var offset = reader.Position;
        ulong value = spec.Bits == 64
            ? reader.ReadUInt64()
            : spec.Signed ? unchecked((ulong)(long)reader.ReadInt32()) : reader.ReadUInt32();
        if (options.IsStrict && spec.Values is { } names && names.IsReserved(value))
            ThrowHelper.Throw(ScmiDecodeError.BadValue, $"{spec.Name} = 0x{value:X} is a reserved value", offset);
        return value;
    }

    private static string ReadName(NameSpec spec, ref ScmiReader reader, DecodeOptions options)
    {
        var offset = reader.Position;
        var bytes = reader.ReadBytes(spec.Size);
        var end = bytes.IndexOf((byte)0);
        if (end < 0)
            ThrowHelper.Throw(ScmiDecodeError.BadValue, $"{spec.Name} has no NUL terminator within {spec.Size} bytes", offset);
        if (options.IsStrict && bytes[end..].ContainsAnyExcept((byte)0))
            ThrowHelper.Throw(ScmiDecodeError.ReservedBits, $"{spec.Name} has non-zero bytes after its terminator", offset);
        return Encoding.Latin1.GetString(bytes[..end]);
    }

    private static void ReadBits(BitsSpec spec, ref ScmiReader reader, DecodeOptions options, FieldSet values)
    {
        var offset = reader.Position;
        var word = reader.ReadUInt32();
        if (options.IsStrict && (word & spec.ReservedMask) != 0)
            ThrowHelper.Throw(ScmiDecodeError.ReservedBits, $"{spec.Name} = 0x{word:X8} has reserved bits 0x{word & spec.ReservedMask:X8} set", offset);
        foreach (var field in spec.Fields)
        {
            var raw = (word & field.Mask) >> field.Low;
            ulong value = field.Signed && field.Width < 32 && (raw & (1u << (field.Width - 1))) != 0
                ? unchecked((ulong)((long)raw - (1L << field.Width)))
                : raw;
            if (options.IsStrict && field.Values is { } names && names.IsReserved(value))
                ThrowHelper.Throw(ScmiDecodeError.BadValue, $"{field.Name} = {value} is a reserved value", offset);
            values.Set(field.Name, new ScalarValue(value));
        }
    }

    private static FieldValue ReadArray(ArraySpec spec, ref ScmiReader reader, DecodeOptions options, FieldSet values, bool isLast)
    {
        var offset = reader.Position;
        var elementSize = spec.ElementSize;
        ulong count;
        if (spec.CountField is { } countField)
        {
            count = values.ValueOrZero(countField);
            // Bound the count by the bytes present before anything is allocated (STYLE 6).
            if (count > (ulong)(reader.Remaining / elementSize))
                ThrowHelper.Throw(ScmiDecodeError.BadCount, $"{countField} = {count} entries of {spec.Name} need {count * (ulong)elementSize} bytes, {reader.Remaining} left", offset);
        }
        else
        {
            if (reader.Remaining % elementSize != 0)
                ThrowHelper.Throw(ScmiDecodeError.BadCount, $"{spec.Name}: {reader.Remaining} bytes is not a whole number of {elementSize}-byte entries", offset);
            count = (ulong)(reader.Remaining / elementSize);
        }

        var n = (int)count;
        switch (spec.Kind)
        {
            case ElementKind.Record:
            {
                var items = new FieldSet[n];
                for (var i = 0; i < n; i++)
                {
                    items[i] = new FieldSet();
                    DecodeInto(spec.Entry!, ref reader, options, items[i], isLast: false);
                }

                return new RecordListValue(items);
            }

            case ElementKind.U8PackedPadded:
            {
                var bytes = reader.ReadBytes(n);
                var padding = (4 - (n % 4)) % 4;
                var pad = reader.ReadBytes(padding);
                if (options.IsStrict && pad.ContainsAnyExcept((byte)0))
                    ThrowHelper.Throw(ScmiDecodeError.ReservedBits, $"{spec.Name} padding is not zero", reader.Position - padding);
                return new NumberListValue(bytes.ToArray().Select(b => (ulong)b).ToArray());
            }

            case ElementKind.U16Packed:
            {
                var items = new ulong[n];
                for (var i = 0; i < n; i++)
                    items[i] = reader.ReadUInt16();
                // The closing half-word of padding is optional (Linux ignores it, SCP-firmware omits it).
                if (isLast && n % 2 == 1 && reader.Remaining == 2)
                {
                    if (reader.ReadUInt16() != 0 && options.IsStrict)
                        ThrowHelper.Throw(ScmiDecodeError.ReservedBits, $"{spec.Name} padding is not zero", reader.Position - 2);
                }

                return new NumberListValue(items);
            }

            default:
            {
                var items = new ulong[n];
                for (var i = 0; i < n; i++)
                {
                    items[i] = spec.Kind switch
                    {
                        ElementKind.U64 => reader.ReadUInt64(),
                        ElementKind.S32 => unchecked((ulong)(long)reader.ReadInt32()),
                        _ => reader.ReadUInt32(),
                    };
                }

                return new NumberListValue(items);
            }
        }
    }

    private static void EncodeFrom(Layout layout, FieldSet values, ref ScmiWriter writer)
    {
        foreach (var field in layout.Fields)
        {
            switch (field)
            {
                case NumberSpec number:
                {
                    var value = ScalarFor(layout, values, number.Name, required: true);
                    CheckFits(number.Name, value, number.Bits, number.Signed);
                    if (number.Bits == 64)
                        writer.WriteUInt64(value);
                    else
                        writer.WriteUInt32(unchecked((uint)value));
                    break;
                }

                case NameSpec name:
                {
                    var text = values.TryGet(name.Name, out var v) && v is TextValue t ? t.Value : "";
                    if (text.Length > name.Size - 1 || text.Contains('\0', StringComparison.Ordinal) || text.Any(c => c > 0xFF))
                        throw new ArgumentException($"{name.Name} \"{text}\" does not fit {name.Size - 1} Latin-1 characters");
                    Span<byte> bytes = stackalloc byte[name.Size];
                    bytes.Clear();
                    Encoding.Latin1.GetBytes(text, bytes);
                    writer.WriteBytes(bytes);
                    break;
                }

                case BitsSpec bits:
                {
                    uint word = 0;
                    foreach (var sub in bits.Fields)
                    {
                        var value = ScalarFor(layout, values, sub.Name, required: false);
                        CheckFits(sub.Name, value, sub.Width, sub.Signed);
                        word |= (unchecked((uint)value) << sub.Low) & sub.Mask;
                    }

                    writer.WriteUInt32(word);
                    break;
                }

                case ArraySpec array:
                    WriteArray(array, values, ref writer);
                    break;
                case ConditionalSpec conditional:
                    if (conditional.Predicate(values))
                        EncodeFrom(conditional.Fields, values, ref writer);
                    break;
            }
        }
    }

    private static ulong ScalarFor(Layout layout, FieldSet values, string name, bool required)
    {
        // A count field may be left out: it is derived from the array it counts.
        int? derived = layout.CountFields.TryGetValue(name, out var arrayName) && values.TryGet(arrayName, out var list)
            ? list switch
            {
                NumberListValue n => n.Items.Count,
                RecordListValue r => r.Items.Count,
                _ => null,
            }
            : null;
        if (values.TryGet(name, out var v))
        {
            if (v is not ScalarValue scalar)
                throw new ArgumentException($"{name} must be a number");
            if (derived is { } d && scalar.Bits != (ulong)d)
                throw new ArgumentException($"{name} = {scalar.Bits} disagrees with the {d} entries of {arrayName}");
            return scalar.Bits;
        }

        if (derived is { } count)
            return (ulong)count;
        if (required)
            throw new ArgumentException($"missing field {name}");
        return 0;
    }

    private static void CheckFits(string name, ulong value, int width, bool signed)
    {
        if (width >= 64)
            return;
        var fits = signed
            ? unchecked((long)value) >= -(1L << (width - 1)) && unchecked((long)value) < (1L << (width - 1))
            : value < (1UL << width);
        if (!fits)
            throw new ArgumentException($"{name} = {(signed ? unchecked((long)value) : value)} does not fit {width} {(signed ? "signed " : "")}bits");
    }

    private static void WriteArray(ArraySpec spec, FieldSet values, ref ScmiWriter writer)
    {
        if (!values.TryGet(spec.Name, out var value))
            value = spec.Kind == ElementKind.Record ? new RecordListValue([]) : new NumberListValue([]);
        if (spec.Kind == ElementKind.Record)
        {
            if (value is not RecordListValue records)
                throw new ArgumentException($"{spec.Name} must be a list of entries");
            foreach (var entry in records.Items)
                EncodeFrom(spec.Entry!, entry, ref writer);
            return;
        }

        if (value is not NumberListValue numbers)
            throw new ArgumentException($"{spec.Name} must be a list of numbers");
        foreach (var item in numbers.Items)
        {
            switch (spec.Kind)
            {
                case ElementKind.U8PackedPadded:
                    CheckFits(spec.Name, item, 8, false);
                    writer.WriteBytes([(byte)item]);
                    break;
                case ElementKind.U16Packed:
                    CheckFits(spec.Name, item, 16, false);
                    writer.WriteUInt16((ushort)item);
                    break;
                case ElementKind.U32:
                    CheckFits(spec.Name, item, 32, false);
                    writer.WriteUInt32((uint)item);
                    break;
                case ElementKind.S32:
                    CheckFits(spec.Name, item, 32, true);
                    writer.WriteUInt32(unchecked((uint)item));
                    break;
                default:
                    writer.WriteUInt64(item);
                    break;
            }
        }

        var count = numbers.Items.Count;
        if (spec.Kind == ElementKind.U8PackedPadded)
            writer.WriteZeros((4 - (count % 4)) % 4);
        else if (spec.Kind == ElementKind.U16Packed && count % 2 == 1)
            writer.WriteZeros(2);
    }
}
