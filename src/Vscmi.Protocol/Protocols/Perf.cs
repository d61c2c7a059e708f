using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class PerfProtocol
{
    /// <summary>A v4.0 level entry: 20 bytes (reference 2.4).</summary>
    private static readonly Layout LevelEntry = Of(
        U32("performance_level"),
        U32("power_cost"),
        Bits("attributes", Field("transition_latency_us", 0, 16)),
        U32("indicative_frequency_khz"),
        U32("level_index"));

    /// <summary>A level entry before v4.0: 12 bytes (reference 2.4).</summary>
    private static readonly Layout LevelEntryV1 = Of(
        U32("performance_level"),
        U32("power_cost"),
        Bits("attributes", Field("transition_latency_us", 0, 16)));

    /// <summary>Perf v3.0 (SCMI 3.0/3.1): extended names, power in microwatts.</summary>
    private const uint V3 = 0x30000;

    /// <summary>Perf v4.0 (SCMI 3.2): level indexing mode, 20-byte level entries.</summary>
    private const uint V4 = 0x40000;

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.PERF, "PERF", 0x40000)
        .Common(Of(Bits("attributes", Field("num_domains", 0, 16), Flag("power_mw", 16), Flag("power_uw", 17)),
            U64("statistics_address", NumberDisplay.Hex), U32("statistics_len")))
        .AttributesBefore(V3, Of(Bits("attributes", Field("num_domains", 0, 16), Flag("power_mw", 16)),
            U64("statistics_address", NumberDisplay.Hex), U32("statistics_len")))
        .Command(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, Shared.DomainOnly(),
            Of(Bits("attributes", Flag("set_limits", 31), Flag("set_level", 30), Flag("limits_notify", 29), Flag("level_notify", 28),
                    Flag("fast_channels", 27), Flag("extended_name", 26), Flag("level_indexing", 25)),
                Bits("rate_limit", Field("rate_limit_us", 0, 20)),
                U32("sustained_freq_khz"), U32("sustained_perf_level"), Name16()))
        .Before(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, V4, response: Of(
            Bits("attributes", Flag("set_limits", 31), Flag("set_level", 30), Flag("limits_notify", 29), Flag("level_notify", 28),
                Flag("fast_channels", 27), Flag("extended_name", 26)),
            Bits("rate_limit", Field("rate_limit_us", 0, 20)),
            U32("sustained_freq_khz"), U32("sustained_perf_level"), Name16()))
        .Before(PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, V3, response: Of(
            Bits("attributes", Flag("set_limits", 31), Flag("set_level", 30), Flag("limits_notify", 29), Flag("level_notify", 28),
                Flag("fast_channels", 27)),
            Bits("rate_limit", Field("rate_limit_us", 0, 20)),
            U32("sustained_freq_khz"), U32("sustained_perf_level"), Name16()))
        .Command(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, Of(Shared.DomainId(), U32("level_index")),
            Of(Shared.ListCount("num_levels"), Records("levels", "returned", LevelEntry)))
        .Before(PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, V4, response: Of(Shared.ListCount("num_levels"), Records("levels", "returned", LevelEntryV1)))
        // Field order is max then min (reference 7 #8).
        .Command(PerfMessageId.PERFORMANCE_LIMITS_SET, Of(Shared.DomainId(), U32("range_max"), U32("range_min")), Layout.Empty)
        .Command(PerfMessageId.PERFORMANCE_LIMITS_GET, Shared.DomainOnly(), Of(U32("range_max"), U32("range_min")))
        .Command(PerfMessageId.PERFORMANCE_LEVEL_SET, Of(Shared.DomainId(), U32("performance_level")), Layout.Empty)
        .Command(PerfMessageId.PERFORMANCE_LEVEL_GET, Shared.DomainOnly(), Of(U32("performance_level")))
        .Command(PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, Shared.DomainNotify(), Layout.Empty)
        .Command(PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, Shared.DomainNotify(), Layout.Empty)
        .Command(PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, Of(Shared.DomainId(), U32("message_id", NumberDisplay.Hex)), Shared.FastChannel)
        .Command(PerfMessageId.PERFORMANCE_DOMAIN_NAME_GET, Shared.DomainOnly(), Shared.ExtendedName, since: V3)
        .Notification(PerfNotificationId.PERFORMANCE_LIMITS_CHANGED,
            Of(U32("agent_id"), Shared.DomainId(), U32("range_max"), U32("range_min")))
        .Notification(PerfNotificationId.PERFORMANCE_LEVEL_CHANGED,
            Of(U32("agent_id"), Shared.DomainId(), U32("performance_level")))
        .Build();
}
