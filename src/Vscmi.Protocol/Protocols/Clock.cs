using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class ClockProtocol
{
    /// <summary>Extended configuration types: 0 none, 1 duty cycle, 2 phase, 3..0x7F reserved, 0x80.. OEM.</summary>
    private static readonly ValueNames ExtendedConfigTypes = Names(
        v => v is >= 3 and < 0x80,
        (0, "none"), (1, "duty_cycle"), (2, "phase"));

    private static NumberSpec ClockId() => ResourceId("clock_id");

    private static Layout ClockOnly() => Of(ClockId());

    private static Layout RateEvent() => Of(U32("agent_id"), ClockId(), U64("rate"));

    /// <summary>Clock v2.0 (SCMI 3.1): notifications, extended names and the enable delay (reference 2.5).</summary>
    private const uint V2 = 0x20000;

    /// <summary>Clock v3.0 (SCMI 3.2): parents, extended configuration, CONFIG_GET, permissions.</summary>
    private const uint V3 = 0x30000;

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.CLOCK, "CLOCK", 0x30000)
        .Common(Of(Bits("attributes", Field("num_clocks", 0, 16), Field("max_async_requests", 16, 8))))
        .Command(ClockMessageId.CLOCK_ATTRIBUTES, ClockOnly(),
            Of(Bits("attributes", Flag("rate_changed_notify", 31), Flag("rate_change_requested_notify", 30), Flag("extended_name", 29),
                    Flag("parents", 28), Flag("extended_config", 27), Flag("restricted", 1), Flag("enabled", 0)),
                Name16(), U32("clock_enable_delay_us")))
        .Before(ClockMessageId.CLOCK_ATTRIBUTES, V3, response: Of(
            Bits("attributes", Flag("rate_changed_notify", 31), Flag("rate_change_requested_notify", 30), Flag("extended_name", 29), Flag("enabled", 0)),
            Name16(), U32("clock_enable_delay_us")))
        .Before(ClockMessageId.CLOCK_ATTRIBUTES, V2, response: Of(Bits("attributes", Flag("enabled", 0)), Name16()))
        .Command(ClockMessageId.CLOCK_DESCRIBE_RATES, Of(ClockId(), U32("rate_index")),
            Of(Shared.TripletRule, Shared.ListCountWithFormat("num_rates_flags", "range"), Array("rates", "returned", ElementKind.U64)))
        .Command(ClockMessageId.CLOCK_RATE_SET,
            Of(Bits("flags", Flag("async", 0), Flag("ignore_delayed_response", 1),
                    Field("rounding", 2, 2, Names((0, "down"), (1, "up"), (2, "closest")))),
                ClockId(), U64("rate")),
            Layout.Empty,
            delayedResponse: Of(ClockId(), U64("rate")))
        .Command(ClockMessageId.CLOCK_RATE_GET, ClockOnly(), Of(U64("rate")))
        // The v3.0 three-word form (Linux sends it when the reported major is 3).
        .Command(ClockMessageId.CLOCK_CONFIG_SET,
            Of(ClockId(),
                Bits("attributes", Field("state", 0, 2, Names((0, "disable"), (1, "enable"), (3, "unchanged"))),
                    Field("extended_config_type", 16, 8, ExtendedConfigTypes)),
                U32("extended_config_val")),
            Layout.Empty)
        // v1.0/v2.0: two words, bit 0 of attributes enables (reference 2.5).
        .Before(ClockMessageId.CLOCK_CONFIG_SET, V3,
            request: Of(ClockId(), Bits("attributes", Field("state", 0, 1, Names((0, "disable"), (1, "enable"))))))
        .Command(ClockMessageId.CLOCK_NAME_GET, ClockOnly(), Shared.ExtendedName, since: V2)
        .Command(ClockMessageId.CLOCK_RATE_NOTIFY, Of(ClockId(), Shared.NotifyEnable()), Layout.Empty, since: V2)
        .Command(ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, Of(ClockId(), Shared.NotifyEnable()), Layout.Empty, since: V2)
        .Command(ClockMessageId.CLOCK_CONFIG_GET,
            Of(ClockId(), Bits("flags", Field("extended_config_type", 0, 8, ExtendedConfigTypes))),
            Of(Reserved("attributes"), Bits("config", Flag("enabled", 0)), U32("extended_config_val")), since: V3)
        .Command(ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, Of(ClockId(), U32("skip_parents")),
            Of(Bits("num_parents_flags", Field("returned", 0, 8), Field("remaining", 24, 8)),
                Array("parents", "returned", ElementKind.U32)), since: V3)
        .Command(ClockMessageId.CLOCK_PARENT_SET, Of(ClockId(), U32("parent_id")), Layout.Empty, since: V3)
        .Command(ClockMessageId.CLOCK_PARENT_GET, ClockOnly(), Of(U32("parent_id")), since: V3)
        .Command(ClockMessageId.CLOCK_GET_PERMISSIONS, ClockOnly(),
            Of(Bits("permissions", Flag("state_control", 31), Flag("parent_control", 30), Flag("rate_control", 29))), since: V3)
        .Notification(ClockNotificationId.CLOCK_RATE_CHANGED, RateEvent(), since: V2)
        .Notification(ClockNotificationId.CLOCK_RATE_CHANGE_REQUESTED, RateEvent(), since: V2)
        .Build();
}
