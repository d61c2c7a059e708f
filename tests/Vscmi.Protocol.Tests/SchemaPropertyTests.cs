using System.Buffers.Binary;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Tests;

/// <summary>Properties every message layout must have, checked on random values with fixed seeds.</summary>
public class SchemaPropertyTests
{
    public static TheoryData<string> Layouts => SchemaSampler.LayoutLabels();

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Random_values_round_trip_through_bytes(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        // A stable seed (string.GetHashCode changes between processes): a failure names it and replays.
        var seed = StableSeed(label);
        var random = new Random(seed);
        for (var i = 0; i < 200; i++)
        {
            var values = SchemaSampler.Generate(layout, random);
            var bytes = LayoutCodec.EncodeToArray(layout, values);
            Assert.True(bytes.Length >= layout.MinSize);

            var decoded = LayoutCodec.Decode(layout, bytes);

            Assert.True(values.Equals(decoded), $"seed {seed}, sample {i}: decoded values differ");
            Assert.True(bytes.AsSpan().SequenceEqual(LayoutCodec.EncodeToArray(layout, decoded)), $"seed {seed}, sample {i}: re-encoded bytes differ");
        }
    }

    /// <summary>FNV-1a of the label: the same in every process and on every machine.</summary>
    internal static int StableSeed(string label)
    {
        var hash = 2166136261u;
        foreach (var c in label)
            hash = (hash ^ c) * 16777619u;
        return (int)(hash & 0x7FFFFFFF);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Whole_messages_round_trip_with_header_and_status(string label)
    {
        var c = SchemaSampler.Find(label);
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var type = c.Kind switch
            {
                ScmiMessageKind.Notification => ScmiMessageType.NOTIFICATION,
                ScmiMessageKind.DelayedResponse => ScmiMessageType.DELAYED_RESPONSE,
                _ => ScmiMessageType.COMMAND,
            };
            var header = new ScmiHeader(c.Id, type, (byte)c.Protocol, (ushort)random.Next(0, ScmiHeader.MaxToken + 1));
            var values = SchemaSampler.Generate(c.Layout, random);
            var bytes = ScmiMessageCodec.EncodeToArray(header, c.Kind, 0, values);

            var message = ScmiMessageCodec.Decode(bytes, c.Kind);

            Assert.Equal(header, message.Header);
            Assert.Equal(values, message.Fields);
            Assert.Equal(c.Kind is ScmiMessageKind.Response or ScmiMessageKind.DelayedResponse ? 0 : null, message.Status);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Truncated_bodies_are_rejected(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var optionalTail = SchemaSampler.HasOptionalTail(layout);
        var random = new Random(11);
        for (var i = 0; i < 20; i++)
        {
            var bytes = LayoutCodec.EncodeToArray(layout, SchemaSampler.Generate(layout, random));
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = bytes[..length];
                if (optionalTail && length >= layout.MinSize)
                {
                    // A shorter list can be valid: then it is a whole body of its own and encodes back
                    // to exactly these bytes. Anything else must be the protocol exception.
                    FieldSet decoded;
                    try
                    {
                        decoded = LayoutCodec.Decode(layout, prefix);
                    }
                    catch (ScmiProtocolException)
                    {
                        continue;
                    }

                    // (A u16 list's closing padding half-word is optional on input, always written.)
                    var again = Convert.ToHexString(LayoutCodec.EncodeToArray(layout, decoded));
                    var expected = Convert.ToHexString(prefix);
                    Assert.True(again == expected || again == expected + "0000", $"{label}: {expected} decodes but encodes back as {again}");
                }
                else
                {
                    Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, prefix));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Trailing_bytes_are_rejected(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var random = new Random(13);
        for (var i = 0; i < 20; i++)
        {
            var bytes = LayoutCodec.EncodeToArray(layout, SchemaSampler.Generate(layout, random));
            Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, [.. bytes, 0, 0, 0, 0]));
            Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, [.. bytes, 0, 0, 0, 0], DecodeOptions.Relaxed));
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Reserved_bits_are_rejected_strictly_and_ignored_leniently(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var random = new Random(17);
        foreach (var (offset, field) in SchemaSampler.FixedPrefix(layout))
        {
            if (field is not BitsSpec bits || bits.ReservedMask == 0)
                continue;
            foreach (var bit in new[] { System.Numerics.BitOperations.TrailingZeroCount(bits.ReservedMask), 31 - System.Numerics.BitOperations.LeadingZeroCount(bits.ReservedMask) })
            {
                var values = SchemaSampler.Generate(layout, random);
                var bytes = LayoutCodec.EncodeToArray(layout, values);
                var word = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), word | (1u << bit));

                var e = Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, bytes));
                Assert.Equal(ScmiDecodeError.ReservedBits, e.Error);
                Assert.Equal(offset, e.Offset);
                Assert.Equal(values, LayoutCodec.Decode(layout, bytes, DecodeOptions.Relaxed));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Names_must_be_terminated_and_zero_padded(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var random = new Random(19);
        foreach (var (offset, field) in SchemaSampler.FixedPrefix(layout))
        {
            if (field is not NameSpec name)
                continue;
            var values = SchemaSampler.Generate(layout, random);
            values.Set(name.Name, "ab");
            var bytes = LayoutCodec.EncodeToArray(layout, values);

            var garbage = (byte[])bytes.Clone();
            garbage[offset + name.Size - 1] = (byte)'x';
            Assert.Equal(ScmiDecodeError.ReservedBits, Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, garbage)).Error);
            Assert.Equal("ab", LayoutCodec.Decode(layout, garbage, DecodeOptions.Relaxed).GetText(name.Name));

            var unterminated = (byte[])bytes.Clone();
            unterminated.AsSpan(offset, name.Size).Fill((byte)'A');
            Assert.Equal(ScmiDecodeError.BadValue, Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, unterminated)).Error);
            Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, unterminated, DecodeOptions.Relaxed));
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Reserved_values_are_rejected(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var random = new Random(23);
        foreach (var (offset, field) in SchemaSampler.FixedPrefix(layout))
        {
            var candidates = field switch
            {
                NumberSpec { Values: { } names, Bits: 32 } n => new[] { (n.Name, 0, 32, names) },
                BitsSpec b => b.Fields.Where(f => f.Values is not null).Select(f => (f.Name, f.Low, f.Width, f.Values!)).ToArray(),
                _ => [],
            };
            foreach (var (name, low, width, names) in candidates)
            {
                var reserved = ReservedValue(width, names);
                if (reserved is null)
                    continue;
                var values = SchemaSampler.Generate(layout, random);
                var bytes = LayoutCodec.EncodeToArray(layout, values);
                var mask = width == 32 ? uint.MaxValue : ((1u << width) - 1) << low;
                var word = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), (word & ~mask) | ((uint)reserved.Value << low));

                var e = Assert.Throws<ScmiProtocolException>(() => LayoutCodec.Decode(layout, bytes));
                Assert.Equal(ScmiDecodeError.BadValue, e.Error);
                Assert.Equal(reserved.Value, LayoutCodec.Decode(layout, bytes, DecodeOptions.Relaxed).GetUInt64(name));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Wrong_counts_are_rejected(string label)
    {
        var layout = SchemaSampler.Find(label).Layout;
        var prefix = SchemaSampler.FixedPrefix(layout).ToList();
        foreach (var array in layout.Fields.OfType<ArraySpec>().Where(a => a.CountField is not null))
        {
            var (offset, low, width) = Locate(prefix, array.CountField!);
            var random = new Random(29);
            for (var i = 0; i < 30; i++)
            {
                var values = SchemaSampler.Generate(layout, random, maxCount: 4);
                var count = values.GetUInt64(array.CountField!);
                var bytes = LayoutCodec.EncodeToArray(layout, values);
                var maxCount = width >= 32 ? uint.MaxValue : (1u << width) - 1;

                if (count < maxCount)
                    AssertRejectedOrDifferent(layout, array, values, WithCount(bytes, offset, low, width, count + 1));
                if (count > 0)
                    AssertRejectedOrDifferent(layout, array, values, WithCount(bytes, offset, low, width, count - 1));
            }
        }
    }

    /// <summary>
    /// A wrong count must be rejected. Only a packed list (u8, u16) can absorb one entry more or
    /// less into its zero padding, which the wire format cannot tell apart: then the values must differ.
    /// </summary>
    private static void AssertRejectedOrDifferent(Layout layout, ArraySpec array, FieldSet original, byte[] bytes)
    {
        FieldSet decoded;
        try
        {
            decoded = LayoutCodec.Decode(layout, bytes);
        }
        catch (ScmiProtocolException)
        {
            return;
        }

        Assert.Contains(array.Kind, new[] { ElementKind.U8PackedPadded, ElementKind.U16Packed });
        Assert.NotEqual(original, decoded);
    }

    private static (int Offset, int Low, int Width) Locate(List<(int Offset, FieldSpec Field)> prefix, string name)
    {
        foreach (var (offset, field) in prefix)
        {
            if (field is NumberSpec n && n.Name == name)
                return (offset, 0, 32);
            if (field is BitsSpec b && b.Fields.FirstOrDefault(f => f.Name == name) is { } sub)
                return (offset, sub.Low, sub.Width);
        }

        throw new InvalidOperationException($"count field {name} is not at a fixed offset");
    }

    private static byte[] WithCount(byte[] bytes, int offset, int low, int width, ulong count)
    {
        var copy = (byte[])bytes.Clone();
        var mask = width >= 32 ? uint.MaxValue : ((1u << width) - 1) << low;
        var word = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), (word & ~mask) | (((uint)count << low) & mask));
        return copy;
    }

    private static ulong? ReservedValue(int width, ValueNames names)
    {
        var limit = width >= 32 ? 1UL << 32 : 1UL << width;
        foreach (var v in Enumerable.Range(0, (int)Math.Min(limit, 4096)).Select(v => (ulong)v)
            .Concat([limit / 2, limit / 2 + 1, limit - 2]))
        {
            if (v < limit && names.IsReserved(v))
                return v;
        }

        return null;
    }
}
