using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

/// <summary>Base protocol (0x10) message ids (DEN0056 4.2; reference 2.1).</summary>
public enum BaseMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    BASE_DISCOVER_VENDOR = 0x3,
    /// <summary>0x4</summary>
    BASE_DISCOVER_SUB_VENDOR = 0x4,
    /// <summary>0x5</summary>
    BASE_DISCOVER_IMPLEMENTATION_VERSION = 0x5,
    /// <summary>0x6</summary>
    BASE_DISCOVER_LIST_PROTOCOLS = 0x6,
    /// <summary>0x7</summary>
    BASE_DISCOVER_AGENT = 0x7,
    /// <summary>0x8</summary>
    BASE_NOTIFY_ERRORS = 0x8,
    /// <summary>0x9</summary>
    BASE_SET_DEVICE_PERMISSIONS = 0x9,
    /// <summary>0xA</summary>
    BASE_SET_PROTOCOL_PERMISSIONS = 0xA,
    /// <summary>0xB</summary>
    BASE_RESET_AGENT_CONFIGURATION = 0xB,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Base protocol notification ids.</summary>
public enum BaseNotificationId : byte
{
    /// <summary>0x0, enabled by BASE_NOTIFY_ERRORS.</summary>
    BASE_ERROR_EVENT = 0x0,
}

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
