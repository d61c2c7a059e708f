using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

/// <summary>Reset domain management protocol (0x16) message ids (DEN0056 4.8; reference 2.7).</summary>
public enum ResetMessageId : byte
{
    /// <summary>0x0</summary>
    PROTOCOL_VERSION = 0x0,
    /// <summary>0x1</summary>
    PROTOCOL_ATTRIBUTES = 0x1,
    /// <summary>0x2</summary>
    PROTOCOL_MESSAGE_ATTRIBUTES = 0x2,
    /// <summary>0x3</summary>
    RESET_DOMAIN_ATTRIBUTES = 0x3,
    /// <summary>0x4</summary>
    RESET = 0x4,
    /// <summary>0x5</summary>
    RESET_NOTIFY = 0x5,
    /// <summary>0x6</summary>
    RESET_DOMAIN_NAME_GET = 0x6,
    /// <summary>0x10</summary>
    NEGOTIATE_PROTOCOL_VERSION = 0x10,
}

/// <summary>Reset notification ids.</summary>
public enum ResetNotificationId : byte
{
    /// <summary>0x0, enabled by RESET_NOTIFY.</summary>
    RESET_ISSUED = 0x0,
}

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
