using System.Numerics;

namespace Vscmi.Protocol.Fields;

/// <summary>
/// Reads and writes one bit field of a 32-bit word through the generated mask and shift
/// (<c>Generated/BitFields.g.cs</c>), so code that builds or parses a word names its fields
/// instead of typing shifts.
/// </summary>
public static class BitField
{
    /// <summary>The unsigned field <paramref name="mask"/> (in place) of <paramref name="word"/>.</summary>
    public static uint Get(uint word, uint mask, int shift) => (word & mask) >> shift;

    /// <summary>The two's-complement field <paramref name="mask"/> of <paramref name="word"/>, sign-extended.</summary>
    public static int GetSigned(uint word, uint mask, int shift)
    {
        var width = BitOperations.PopCount(mask);
        return (int)((word & mask) << (32 - shift - width)) >> (32 - width);
    }

    /// <summary><paramref name="value"/> placed in the field (bits beyond its width are dropped).</summary>
    public static uint Put(uint value, uint mask, int shift) => (value << shift) & mask;

    /// <summary>A 64-bit value from its low and high words (how SCMI sends every 64-bit field).</summary>
    public static ulong Join(uint low, uint high) => ((ulong)high << 32) | low;

    /// <summary>A signed <paramref name="value"/> placed in the field as two's complement (truncated to its width).</summary>
    public static uint Put(int value, uint mask, int shift) => (unchecked((uint)value) << shift) & mask;
}
