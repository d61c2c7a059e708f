using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>Every body layout of the catalog, and random valid values for any layout (derived from the description).</summary>
internal static class SchemaSampler
{
    public sealed record LayoutCase(string Label, Layout Layout, ScmiProtocolId Protocol, byte Id, ScmiMessageKind Kind)
    {
        public override string ToString() => Label;
    }

    public static IEnumerable<LayoutCase> AllLayouts()
    {
        foreach (var protocol in ScmiCatalog.Protocols)
        {
            foreach (var m in protocol.Messages.OrderBy(m => m.Id))
            {
                yield return new($"{m.Name} command", m.Request, protocol.Id, m.Id, ScmiMessageKind.Command);
                yield return new($"{m.Name} response", m.Response, protocol.Id, m.Id, ScmiMessageKind.Response);
                if (m.DelayedResponse is { } delayed)
                    yield return new($"{m.Name} delayed response", delayed, protocol.Id, m.Id, ScmiMessageKind.DelayedResponse);
            }

            foreach (var n in protocol.Notifications.OrderBy(n => n.Id))
                yield return new($"{n.Name} notification", n.Payload, protocol.Id, n.Id, ScmiMessageKind.Notification);
        }
    }

    /// <summary>Layouts as xunit rows (labels stay readable in test names).</summary>
    public static TheoryData<string> LayoutLabels()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllLayouts())
            data.Add($"{c.Protocol} {c.Label}");
        return data;
    }

    public static LayoutCase Find(string label) => AllLayouts().Single(c => $"{c.Protocol} {c.Label}" == label);

    /// <summary>Random values valid for <paramref name="layout"/>: counts agree with arrays, no reserved values, rules hold.</summary>
    public static FieldSet Generate(Layout layout, Random random, int maxCount = 3)
    {
        var values = new FieldSet();
        Fill(layout, layout, random, values, maxCount);
        return values;
    }

    private static void Fill(Layout layout, Layout root, Random random, FieldSet values, int maxCount)
    {
        foreach (var field in layout.Fields)
        {
            switch (field)
            {
                case NumberSpec number:
                    values.Set(number.Name, root.CountFields.ContainsKey(number.Name)
                        ? (ulong)random.Next(0, maxCount + 1)
                        : Value(random, number.Bits, number.Signed, number.Values));
                    break;
                case NameSpec name:
                {
                    var length = random.Next(0, Math.Min(name.Size - 1, 24) + 1);
                    values.Set(name.Name, new string(Enumerable.Range(0, length).Select(_ => (char)random.Next(0x20, 0x7F)).ToArray()));
                    break;
                }

                case BitsSpec bits:
                    foreach (var sub in bits.Fields)
                    {
                        values.Set(sub.Name, root.CountFields.ContainsKey(sub.Name)
                            ? (ulong)random.Next(0, (int)Math.Min(maxCount, (1L << sub.Width) - 1) + 1)
                            : Value(random, sub.Width, sub.Signed, sub.Values));
                    }

                    ApplyRules(root, values);
                    break;
                case ArraySpec array:
                {
                    var count = array.CountField is { } countField
                        ? (int)values.GetUInt64(countField)
                        : random.Next(0, maxCount + 1);
                    if (array.Kind == ElementKind.Record)
                    {
                        values.Set(array.Name, Enumerable.Range(0, count).Select(_ => Generate(array.Entry!, random, maxCount)).ToArray());
                    }
                    else
                    {
                        var (width, signed) = array.Kind switch
                        {
                            ElementKind.U8PackedPadded => (8, false),
                            ElementKind.U16Packed => (16, false),
                            ElementKind.U32 => (32, false),
                            ElementKind.S32 => (32, true),
                            _ => (64, false),
                        };
                        values.Set(array.Name, Enumerable.Range(0, count).Select(_ => Value(random, width, signed, null)).ToArray());
                    }

                    break;
                }

                case ConditionalSpec conditional when conditional.Predicate(values):
                    Fill(conditional.Fields, root, random, values, maxCount);
                    break;
            }
        }
    }

    private static void ApplyRules(Layout root, FieldSet values)
    {
        foreach (var rule in root.Rules)
        {
            if (values.TryGet(rule.WhenField, out _) && values.ValueOrZero(rule.WhenField) == rule.WhenValue)
            {
                foreach (var required in rule.Required)
                    values.Set(required.Key, required.Value);
            }
        }
    }

    private static ulong Value(Random random, int width, bool signed, ValueNames? names)
    {
        if (names is not null && random.Next(2) == 0)
            return names.Names.Keys.ElementAt(random.Next(names.Names.Count));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var value = Raw(random, width, signed);
            if (names is null || !names.IsReserved(value))
                return value;
        }

        return names!.Names.Keys.First();
    }

    private static ulong Raw(Random random, int width, bool signed)
    {
        // Favour edge values: they find off-by-one errors in widths and sign extension.
        var pick = random.Next(8);
        if (signed)
        {
            var min = width == 64 ? long.MinValue : -(1L << (width - 1));
            var max = width == 64 ? long.MaxValue : (1L << (width - 1)) - 1;
            var v = pick switch { 0 => min, 1 => max, 2 => 0, 3 => -1, _ => random.NextInt64(min, max) };
            return unchecked((ulong)v);
        }

        var top = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        return pick switch
        {
            0 => top,
            1 => 0,
            2 => 1,
            _ => width == 64 ? (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63) : (ulong)random.NextInt64(0, (long)top + 1),
        };
    }

    /// <summary>Fields at fixed offsets, up to the first array or conditional group.</summary>
    public static IEnumerable<(int Offset, FieldSpec Field)> FixedPrefix(Layout layout)
    {
        var offset = 0;
        foreach (var field in layout.Fields)
        {
            if (field is ArraySpec or ConditionalSpec)
                yield break;
            yield return (offset, field);
            offset += field.FixedSize;
        }
    }

    /// <summary>True when dropping bytes from the end can still leave a valid body (a list that fills the rest, optional padding).</summary>
    public static bool HasOptionalTail(Layout layout) =>
        layout.Fields.OfType<ArraySpec>().Any(a => a.CountField is null || a.Kind == ElementKind.U16Packed);
}
