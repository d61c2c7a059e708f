using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

/// <summary>System power management protocol (0x12) message ids (DEN0056 4.4; reference 2.3).</summary>
public enum SystemMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    SYSTEM_POWER_STATE_SET = 0x3,
    /// <summary>0x4</summary>
    SYSTEM_POWER_STATE_GET = 0x4,
    /// <summary>0x5</summary>
    SYSTEM_POWER_STATE_NOTIFY = 0x5,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>System power notification ids.</summary>
public enum SystemNotificationId : byte
{
    /// <summary>0x0, enabled by SYSTEM_POWER_STATE_NOTIFY.</summary>
    SYSTEM_POWER_STATE_NOTIFIER = 0x0,
}

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
