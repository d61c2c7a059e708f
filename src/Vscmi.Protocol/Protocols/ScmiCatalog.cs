using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Protocols;

/// <summary>Every protocol this library describes, at its SCMI v3.2 version.</summary>
public static class ScmiCatalog
{
    private static readonly ProtocolSpec?[] ById = BuildIndex(
    [
        BaseProtocol.Build(), PowerProtocol.Build(), SystemProtocol.Build(), PerfProtocol.Build(), ClockProtocol.Build(),
        SensorProtocol.Build(), ResetProtocol.Build(), VoltageProtocol.Build(), PowercapProtocol.Build(), PinctrlProtocol.Build(),
        VscmiProtocol.Build(),
    ]);

    /// <summary>All protocols in id order.</summary>
    public static IReadOnlyList<ProtocolSpec> Protocols { get; } = ById.OfType<ProtocolSpec>().ToArray();

    /// <summary>Finds a protocol by id.</summary>
    public static ProtocolSpec? Find(byte protocolId) => ById[protocolId];

    /// <summary>Sensor unit classes by value (degrees_c, volts, ...; reference 2.6), as the sensor descriptions use them.</summary>
    public static ValueNames SensorUnits => Shared.SensorUnits;

    /// <summary>Finds a protocol by id.</summary>
    public static ProtocolSpec Get(ScmiProtocolId protocolId) => ById[(byte)protocolId]!;

    /// <summary>Finds a protocol by its short name (BASE, CLOCK...) or its number, ignoring case.</summary>
    public static ProtocolSpec? Find(string nameOrId)
    {
        ArgumentNullException.ThrowIfNull(nameOrId);
        if (Protocols.FirstOrDefault(p => string.Equals(p.ShortName, nameOrId, StringComparison.OrdinalIgnoreCase)) is { } named)
            return named;
        var hex = nameOrId.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return byte.TryParse(hex ? nameOrId.AsSpan(2) : nameOrId, hex ? System.Globalization.NumberStyles.HexNumber : System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var id) ? Find(id) : null;
    }

    /// <summary>Finds a command.</summary>
    public static MessageSpec? FindMessage(byte protocolId, byte messageId) => Find(protocolId)?.FindMessage(messageId);

    /// <summary>
    /// Every (protocol, id) whose command (or, with <paramref name="notification"/>, notification) has
    /// this spec name, ignoring case, in <paramref name="protocolId"/> or in any protocol when null.
    /// Several matches mean the name exists in more than one protocol (PROTOCOL_VERSION): the
    /// caller asks for the protocol. Used wherever a person names a message (faults, scenarios).
    /// </summary>
    public static IReadOnlyList<(byte Protocol, byte Id)> FindByName(string name, bool notification = false, byte? protocolId = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var found = new List<(byte, byte)>();
        foreach (var protocol in Protocols)
        {
            if (protocolId is { } only && (byte)protocol.Id != only)
                continue;
            if (notification)
            {
                foreach (var n in protocol.Notifications)
                {
                    if (string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))
                        found.Add(((byte)protocol.Id, n.Id));
                }
            }
            else
            {
                foreach (var m in protocol.Messages)
                {
                    if (string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
                        found.Add(((byte)protocol.Id, m.Id));
                }
            }
        }

        return found;
    }

    private static ProtocolSpec?[] BuildIndex(ProtocolSpec[] protocols)
    {
        var index = new ProtocolSpec?[256];
        foreach (var protocol in protocols)
            index[(byte)protocol.Id] = protocol;
        return index;
    }
}
