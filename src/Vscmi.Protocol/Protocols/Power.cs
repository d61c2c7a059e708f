using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class PowerProtocol
{
    /// <summary>power_state: 27:0 state id, 30 state type (0 on / context kept, 1 off / context lost).</summary>
    private static BitsSpec PowerState() =>
        Bits("power_state", Field("state_id", 0, 28, display: NumberDisplay.Hex), Field("state_type", 30, 1, Names((0, "on"), (1, "off"))));

    private static Layout StateChange() => Of(U32("agent_id"), Shared.DomainId(), PowerState());

    /// <summary>Power v3.0 (SCMI 3.1): extended names (reference 2.2).</summary>
    private const uint V3 = 0x30000;

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.POWER, "POWER", 0x30001)
        .Common(Of(Bits("attributes", Field("num_domains", 0, 16)), U64("statistics_address", NumberDisplay.Hex), U32("statistics_len")))
        .Command(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, Shared.DomainOnly(),
            Of(Bits("attributes", Flag("state_change_notify", 31), Flag("async_state_set", 30), Flag("sync_state_set", 29),
                Flag("state_change_requested_notify", 28), Flag("extended_name", 27)), Name16()))
        .Before(PowerMessageId.POWER_DOMAIN_ATTRIBUTES, V3, response: Of(
            Bits("attributes", Flag("state_change_notify", 31), Flag("async_state_set", 30), Flag("sync_state_set", 29),
                Flag("state_change_requested_notify", 28)), Name16()))
        // The delayed response of an asynchronous POWER_STATE_SET is unverified (reference 2.2, 6 #4):
        // it is not described, and the platform never advertises async power state sets.
        .Command(PowerMessageId.POWER_STATE_SET, Of(Bits("flags", Flag("async", 0)), Shared.DomainId(), PowerState()), Layout.Empty)
        .Command(PowerMessageId.POWER_STATE_GET, Shared.DomainOnly(), Of(PowerState()))
        .Command(PowerMessageId.POWER_STATE_NOTIFY, Shared.DomainNotify(), Layout.Empty)
        .Command(PowerMessageId.POWER_STATE_CHANGE_REQUESTED_NOTIFY, Shared.DomainNotify(), Layout.Empty)
        .Command(PowerMessageId.POWER_DOMAIN_NAME_GET, Shared.DomainOnly(), Shared.ExtendedName, since: V3)
        .Notification(PowerNotificationId.POWER_STATE_CHANGED, StateChange())
        .Notification(PowerNotificationId.POWER_STATE_CHANGE_REQUESTED, StateChange())
        .Build();
}
