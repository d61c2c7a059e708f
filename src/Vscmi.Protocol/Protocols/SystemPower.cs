using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class SystemProtocol
{
    /// <summary>system_state: 0..4 architectural, 5..0x7FFFFFFF reserved, 0x80000000.. vendor.</summary>
    internal static NumberSpec SystemState() => U32("system_state", NumberDisplay.Hex, Names(
        v => v is >= 5 and < 0x80000000,
        (0, "shutdown"), (1, "cold_reset"), (2, "warm_reset"), (3, "power_up"), (4, "suspend")));

    private static BitsSpec GracefulFlags() => Bits("flags", Flag("graceful", 0));

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.SYSTEM, "SYSTEM", 0x20001)
        .Common(Of(Reserved("attributes")))
        .Command(SystemMessageId.SYSTEM_POWER_STATE_SET, Of(GracefulFlags(), SystemState()), Layout.Empty)
        .Command(SystemMessageId.SYSTEM_POWER_STATE_GET, Layout.Empty, Of(SystemState()))
        .Command(SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, Of(Shared.NotifyEnable()), Layout.Empty)
        // 16 bytes from protocol v2.0 on; timeout in milliseconds (reference 2.3).
        .Notification(SystemNotificationId.SYSTEM_POWER_STATE_NOTIFIER,
            Of(U32("agent_id"), GracefulFlags(), SystemState(), U32("timeout_ms")))
        .NotificationBefore(SystemNotificationId.SYSTEM_POWER_STATE_NOTIFIER, 0x20000, Of(U32("agent_id"), GracefulFlags(), SystemState()))
        .Build();
}
