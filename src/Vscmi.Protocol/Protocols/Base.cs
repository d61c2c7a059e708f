using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class BaseProtocol
{
    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.BASE, "BASE", 0x20001)
        .Common(Of(Bits("attributes", Field("num_protocols", 0, 8), Field("num_agents", 8, 8))))
        .Command(BaseMessageId.BASE_DISCOVER_VENDOR, Layout.Empty, Of(Name16("vendor_identifier")))
        .Command(BaseMessageId.BASE_DISCOVER_SUB_VENDOR, Layout.Empty, Of(Name16("sub_vendor_identifier")))
        .Command(BaseMessageId.BASE_DISCOVER_IMPLEMENTATION_VERSION, Layout.Empty, Of(Hex32("implementation_version")))
        // The protocol list has no remaining field: the agent stops at PROTOCOL_ATTRIBUTES' count (reference 1.7).
        .Command(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, Of(U32("skip")),
            Of(U32("num_protocols"), Array("protocols", "num_protocols", ElementKind.U8PackedPadded, NumberDisplay.Hex)))
        .Command(BaseMessageId.BASE_DISCOVER_AGENT, Of(U32("agent_id")), Of(U32("agent_id"), Name16()))
        .Command(BaseMessageId.BASE_NOTIFY_ERRORS, Of(Shared.NotifyEnable()), Layout.Empty)
        .Command(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS,
            Of(U32("agent_id"), U32("device_id"), Bits("flags", Flag("allow", 0))), Layout.Empty)
        .Command(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS,
            Of(U32("agent_id"), U32("device_id"), Bits("command_id", Field("protocol_id", 0, 8, display: NumberDisplay.Hex)), Bits("flags", Flag("allow", 0))),
            Layout.Empty)
        .Command(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION,
            Of(U32("agent_id"), Bits("flags", Flag("reset_permissions", 0))), Layout.Empty)
        .Notification(BaseNotificationId.BASE_ERROR_EVENT,
            Of(U32("agent_id"), Bits("error_status", Field("num_reports", 0, 10), Flag("fatal", 31)),
                Array("reports", "num_reports", ElementKind.U64, NumberDisplay.Hex)))
        .Build();
}
