using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

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
