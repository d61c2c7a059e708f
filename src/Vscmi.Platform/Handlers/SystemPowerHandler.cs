using StateSetFlags = Vscmi.Protocol.Fields.SystemBits.SystemPowerStateSet.Request.Flags;

namespace Vscmi.Platform.Handlers;

/// <summary>System power management (0x12; reference 2.3).</summary>
internal sealed class SystemPowerHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.SYSTEM)
{
    private static readonly string[] StateNames = ["shutdown", "cold_reset", "warm_reset", "power_up", "suspend"];

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) => reply.WriteUInt32(0);

    /// <summary>SYSTEM_POWER_STATE_SET's PROTOCOL_MESSAGE_ATTRIBUTES: bit 31 warm reset, bit 30 suspend (reference 2.3).</summary>
    private const uint WarmResetSupported = 0x8000_0000;

    /// <inheritdoc cref="WarmResetSupported"/>
    private const uint SuspendSupported = 0x4000_0000;

    /// <summary>SYSTEM_POWER_STATE_SET's attributes: warm reset and suspend, as the model allows.</summary>
    public override uint MessageAttributes(byte messageId) =>
        messageId == (byte)SystemMessageId.SYSTEM_POWER_STATE_SET
            ? (Platform.Model.SystemPower.WarmReset ? WarmResetSupported : 0) | (Platform.Model.SystemPower.Suspend ? SuspendSupported : 0)
            : 0;

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)SystemMessageId.SYSTEM_POWER_STATE_SET, StateSet),
        ((byte)SystemMessageId.SYSTEM_POWER_STATE_GET, StateGet),
        ((byte)SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, Notify),
    ];

    private ScmiStatus StateSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var graceful = (request.Params.ReadUInt32() & StateSetFlags.Graceful) != 0;
        var state = request.Params.ReadUInt32();
        if (!request.Agent.Trusted)
            return ScmiStatus.DENIED;
        var supported = state switch
        {
            0 or 1 => true,
            2 => Platform.Model.SystemPower.WarmReset,
            4 => Platform.Model.SystemPower.Suspend,
            _ => false, // power up is not an agent's request; vendor states are not modelled
        };
        if (!supported)
            return ScmiStatus.NOT_SUPPORTED;
        Platform.State.SystemState = state;
        Platform.LogSystemState(request.Agent.AgentName, StateNames[state], graceful);
        // Subscribed agents (a guest's scmi_power_control) learn of it: 16 bytes from v2.0, timeout in ms (reference 2.3).
        NotifyState((uint)request.Agent.AgentId, graceful, state, 0, onlyAgent: 0);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>
    /// SYSTEM_POWER_STATE_NOTIFIER to the subscribed sessions (of one agent, or of all with 0);
    /// returns how many got it. Caller holds the platform lock.
    /// </summary>
    internal int NotifyState(uint causedBy, bool graceful, uint state, uint timeoutMs, int onlyAgent)
    {
        // System v1.0 (SCMI 2.0) has no timeout word: 12 bytes, which Linux checks exactly; the served layout leaves it out.
        return Platform.Notify((byte)SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, 0,
            new SystemMessages.SystemPowerStateNotifier(causedBy, graceful, state) { TimeoutMs = timeoutMs }, onlyAgent);
    }

    private ScmiStatus StateGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        reply.WriteUInt32(Platform.State.SystemState);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus Notify(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var enable = ReadEnable(ref request);
        if (!request.Agent.HasP2A)
            return ScmiStatus.NOT_SUPPORTED;
        request.Agent.Subscribe((byte)Id, (byte)SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, 0, enable);
        return ScmiStatus.SUCCESS;
    }
}
