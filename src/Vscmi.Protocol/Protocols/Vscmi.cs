using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

/// <summary>vscmi's vendor protocol (0x80) message ids.</summary>
public enum VscmiMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>
    /// 0x3: send SYSTEM_POWER_STATE_NOTIFIER to one agent (a VM's scmi_power_control then shuts
    /// down or reboots in an orderly way): agent_id, flags (bit 0 graceful), system_state, timeout_ms.
    /// </summary>
    VSCMI_AGENT_SYSTEM_POWER_NOTIFY = 0x3,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>
/// vscmi's vendor protocol: what an operator's trusted agent (the host) asks of the platform about
/// another agent, in band, over any transport. Vendor protocols live in 0x80-0xFF (reference 1.6).
/// </summary>
internal static class VscmiProtocol
{
    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.VSCMI, "VSCMI", 0x10000)
        .Common(Of(Reserved("attributes")))
        .Command(VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY,
            Of(U32("agent_id"), Bits("flags", Flag("graceful", 0)), SystemProtocol.SystemState(), U32("timeout_ms")),
            Layout.Empty)
        .Build();
}
