using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class ResetProtocol
{
    /// <summary>reset_state: 30:0 reset id, 31 = 0 architectural (id 0 = cold reset) / 1 implementation defined.</summary>
    private static BitsSpec ResetState() =>
        Bits("reset_state", Field("reset_id", 0, 31), Field("reset_type", 31, 1, Names((0, "architectural"), (1, "implementation"))));

    /// <summary>Reset v3.0 (SCMI 3.1): extended names (reference 1.8).</summary>
    private const uint V3 = 0x30000;

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.RESET, "RESET", 0x30001)
        .Common(Of(Bits("attributes", Field("num_domains", 0, 16))))
        .Command(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, Shared.DomainOnly(),
            Of(Bits("attributes", Flag("async_reset", 31), Flag("reset_notify", 30), Flag("extended_name", 29)),
                U32("latency_us"), Name16()))
        .Before(ResetMessageId.RESET_DOMAIN_ATTRIBUTES, V3, response: Of(
            Bits("attributes", Flag("async_reset", 31), Flag("reset_notify", 30)), U32("latency_us"), Name16()))
        // flags: bit 0 autonomous, bit 1 explicit assert (when not autonomous), bit 2 asynchronous.
        .Command(ResetMessageId.RESET,
            Of(Shared.DomainId(), Bits("flags", Flag("autonomous", 0), Flag("explicit_assert", 1), Flag("async", 2)), ResetState()),
            Layout.Empty,
            delayedResponse: Shared.DomainOnly())
        .Command(ResetMessageId.RESET_NOTIFY, Shared.DomainNotify(), Layout.Empty)
        .Command(ResetMessageId.RESET_DOMAIN_NAME_GET, Shared.DomainOnly(), Shared.ExtendedName, since: V3)
        .Notification(ResetNotificationId.RESET_ISSUED, Of(U32("agent_id"), Shared.DomainId(), ResetState()))
        .Build();
}
