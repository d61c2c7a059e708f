using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Protocols;

/// <summary>
/// A release of the SCMI specification (DEN0056) and the version of each protocol in it
/// (reference 1.8). A platform can present any of them; a decoder can read any of them.
/// </summary>
public sealed class ScmiRelease
{
    private readonly Dictionary<ScmiProtocolId, uint> _versions;

    private ScmiRelease(string name, Dictionary<ScmiProtocolId, uint> versions)
    {
        Name = name;
        _versions = versions;
    }

    /// <summary>SCMI 2.0 (DEN0056B): no voltage, power capping or pin control.</summary>
    public static ScmiRelease V2_0 { get; } = new("2.0", new()
    {
        [ScmiProtocolId.BASE] = 0x20000, [ScmiProtocolId.POWER] = 0x20000, [ScmiProtocolId.SYSTEM] = 0x10000,
        [ScmiProtocolId.PERF] = 0x20000, [ScmiProtocolId.CLOCK] = 0x10000, [ScmiProtocolId.SENSOR] = 0x10000,
        [ScmiProtocolId.RESET] = 0x10000, [ScmiProtocolId.VSCMI] = 0x10000,
    });

    /// <summary>
    /// SCMI 3.0 (DEN0056C): adds voltage. Several of these versions are unverified in the
    /// reference ([U]); docs/conformance.md lists which.
    /// </summary>
    public static ScmiRelease V3_0 { get; } = new("3.0", new()
    {
        [ScmiProtocolId.BASE] = 0x20000, [ScmiProtocolId.POWER] = 0x20000, [ScmiProtocolId.SYSTEM] = 0x20000,
        [ScmiProtocolId.PERF] = 0x30000, [ScmiProtocolId.CLOCK] = 0x10000, [ScmiProtocolId.SENSOR] = 0x20000,
        [ScmiProtocolId.RESET] = 0x10000, [ScmiProtocolId.VOLTAGE] = 0x10000, [ScmiProtocolId.VSCMI] = 0x10000,
    });

    /// <summary>SCMI 3.1 (DEN0056D): extended names, clock enable latency, power capping.</summary>
    public static ScmiRelease V3_1 { get; } = new("3.1", new()
    {
        [ScmiProtocolId.BASE] = 0x20000, [ScmiProtocolId.POWER] = 0x30000, [ScmiProtocolId.SYSTEM] = 0x20000,
        [ScmiProtocolId.PERF] = 0x30000, [ScmiProtocolId.CLOCK] = 0x20000, [ScmiProtocolId.SENSOR] = 0x30000,
        [ScmiProtocolId.RESET] = 0x30000, [ScmiProtocolId.VOLTAGE] = 0x20000, [ScmiProtocolId.POWERCAP] = 0x10000,
        [ScmiProtocolId.VSCMI] = 0x10000,
    });

    /// <summary>SCMI 3.2 (DEN0056E): what the catalog describes; every protocol, NEGOTIATE_PROTOCOL_VERSION everywhere.</summary>
    public static ScmiRelease V3_2 { get; } = new("3.2", ScmiCatalog.Protocols.ToDictionary(p => p.Id, p => p.Version));

    /// <summary>Every release, oldest first.</summary>
    public static IReadOnlyList<ScmiRelease> All { get; } = [V2_0, V3_0, V3_1, V3_2];

    /// <summary>The release's name: "2.0", "3.0", "3.1" or "3.2".</summary>
    public string Name { get; }

    /// <summary>The protocol's version in this release, or null when the release does not have the protocol.</summary>
    public uint? VersionOf(ScmiProtocolId protocol) => _versions.TryGetValue(protocol, out var v) ? v : null;

    /// <summary>The protocol as this release defines it (its messages and layouts), or null when the release does not have it.</summary>
    public ProtocolSpec? Protocol(byte protocolId) =>
        ScmiCatalog.Find(protocolId) is { } spec && VersionOf(spec.Id) is { } version ? spec.At(version) : null;

    /// <summary>A release by name ("2.0", "3.0", "3.1", "3.2"); false for any other text.</summary>
    public static bool TryParse(string? text, out ScmiRelease release)
    {
        release = All.FirstOrDefault(r => r.Name == text)!;
        return release is not null;
    }

    /// <summary>
    /// The newest release whose versions match what a platform reports (protocol id → version),
    /// or null when none does (a platform mixing releases).
    /// </summary>
    public static ScmiRelease? Infer(IReadOnlyDictionary<byte, uint> reported) =>
        All.Reverse().FirstOrDefault(r => reported.All(p => ScmiCatalog.Find(p.Key) is not { } spec || r.VersionOf(spec.Id) == p.Value));

    /// <inheritdoc />
    public override string ToString() => $"SCMI {Name}";
}
