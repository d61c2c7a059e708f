using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class VoltageProtocol
{
    /// <summary>config 3:0: architectural 0 = off, 7 = on (1..6 reserved); 8..15 implementation defined.</summary>
    private static BitsSpec Config() =>
        Bits("config", Field("mode", 0, 4, Names(v => v is >= 1 and <= 6, (0, "off"), (7, "on"))));

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.VOLTAGE, "VOLTAGE", 0x20001)
        .Common(Of(Bits("attributes", Field("num_domains", 0, 16))))
        .Command(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, Shared.DomainOnly(),
            Of(Bits("attributes", Flag("async_level_set", 31), Flag("extended_name", 30)), Name16()))
        .Before(VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, 0x20000, response: Of(Bits("attributes", Flag("async_level_set", 31)), Name16()))
        .Command(VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, Of(Shared.DomainId(), U32("level_index")),
            Of(Shared.TripletRule, Shared.ListCountWithFormat("flags", "segmented"), Array("levels_uv", "returned", ElementKind.S32)))
        .Command(VoltageMessageId.VOLTAGE_CONFIG_SET, Of(Shared.DomainId(), Config()), Layout.Empty)
        .Command(VoltageMessageId.VOLTAGE_CONFIG_GET, Shared.DomainOnly(), Of(Config()))
        .Command(VoltageMessageId.VOLTAGE_LEVEL_SET,
            Of(Shared.DomainId(), Bits("flags", Flag("async", 0)), S32("voltage_level_uv")),
            Layout.Empty,
            delayedResponse: Of(Shared.DomainId(), S32("voltage_level_uv")))
        .Command(VoltageMessageId.VOLTAGE_LEVEL_GET, Shared.DomainOnly(), Of(S32("voltage_level_uv")))
        .Command(VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, Shared.DomainOnly(), Shared.ExtendedName, since: 0x20000)
        .Build();
}
