using System.Globalization;

namespace Vscmi.Protocol;

/// <summary>A protocol version word: major in bits 31:16, minor in bits 15:0 (reference 1.8).</summary>
public static class ScmiVersion
{
    /// <summary>The major version.</summary>
    public static uint Major(uint version) => version >> 16;

    /// <summary>The minor version.</summary>
    public static uint Minor(uint version) => version & 0xFFFF;

    /// <summary>"major.minor", as the spec writes versions.</summary>
    public static string Format(uint version) => string.Create(CultureInfo.InvariantCulture, $"{Major(version)}.{Minor(version)}");

    /// <summary>
    /// Whether a platform at <paramref name="served"/> can behave as <paramref name="requested"/>:
    /// the same major version and a minor no newer (NEGOTIATE_PROTOCOL_VERSION; reference 1.8).
    /// </summary>
    public static bool CanServe(uint served, uint requested) => Major(requested) == Major(served) && Minor(requested) <= Minor(served);
}
