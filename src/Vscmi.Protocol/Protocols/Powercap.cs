using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class PowercapProtocol
{
    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.POWERCAP, "POWERCAP", 0x20000)
        .Common(Of(Bits("attributes", Field("num_domains", 0, 16))))
        // Power unit at 24:23 as Linux 6.12 reads it (2 = mW, 1 = uW, 0 = abstract; reference 2.9).
        .Command(PowercapMessageId.POWERCAP_DOMAIN_ATTRIBUTES, Shared.DomainOnly(),
            Of(Bits("attributes", Flag("cap_change_notify", 31), Flag("measurements_notify", 30), Flag("async_cap_set", 29),
                    Flag("extended_name", 28), Flag("cap_configurable", 27), Flag("monitoring", 26), Flag("pai_configurable", 25),
                    Field("power_unit", 23, 2, Names((0, "abstract"), (1, "uw"), (2, "mw"))), Flag("fast_channels", 22)),
                Name16(),
                U32("min_pai"), U32("max_pai"), U32("pai_step"),
                U32("min_power_cap"), U32("max_power_cap"), U32("power_cap_step"),
                U32("sustainable_power"), U32("accuracy"),
                U32("parent_id", NumberDisplay.Decimal, Names(_ => false, (0xFFFFFFFF, "root")))))
        .Command(PowercapMessageId.POWERCAP_CAP_GET, Shared.DomainOnly(), Of(U32("power_cap")))
        // Here bit 0 suppresses the delayed response and bit 1 asks for it (the reverse of CLOCK_RATE_SET).
        .Command(PowercapMessageId.POWERCAP_CAP_SET,
            Of(Shared.DomainId(), Bits("flags", Flag("ignore_delayed_response", 0), Flag("async", 1)), U32("power_cap")),
            Layout.Empty,
            delayedResponse: Of(Shared.DomainId(), U32("power_cap")))
        .Command(PowercapMessageId.POWERCAP_PAI_GET, Shared.DomainOnly(), Of(U32("pai")))
        .Command(PowercapMessageId.POWERCAP_PAI_SET, Of(Shared.DomainId(), Reserved("flags"), U32("pai")), Layout.Empty)
        .Command(PowercapMessageId.POWERCAP_DOMAIN_NAME_GET, Shared.DomainOnly(), Shared.ExtendedName)
        .Command(PowercapMessageId.POWERCAP_MEASUREMENTS_GET, Shared.DomainOnly(), Of(U32("power"), U32("pai")))
        .Command(PowercapMessageId.POWERCAP_CAP_NOTIFY, Shared.DomainNotify(), Layout.Empty)
        .Command(PowercapMessageId.POWERCAP_MEASUREMENTS_NOTIFY,
            Of(Shared.DomainId(), Shared.NotifyEnable(), U32("threshold_low"), U32("threshold_high")), Layout.Empty)
        .Command(PowercapMessageId.POWERCAP_DESCRIBE_FASTCHANNEL, Of(Shared.DomainId(), U32("message_id", NumberDisplay.Hex)), Shared.FastChannel)
        .Notification(PowercapNotificationId.POWERCAP_CAP_CHANGED,
            Of(U32("agent_id"), Shared.DomainId(), U32("power_cap"), U32("pai")))
        .Notification(PowercapNotificationId.POWERCAP_MEASUREMENTS_CHANGED,
            Of(U32("agent_id"), Shared.DomainId(), U32("power")))
        .Build();
}
