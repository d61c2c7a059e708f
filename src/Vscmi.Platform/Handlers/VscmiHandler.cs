using NotifyFlags = Vscmi.Protocol.Fields.VscmiBits.VscmiAgentSystemPowerNotify.Request.Flags;

namespace Vscmi.Platform.Handlers;

/// <summary>
/// vscmi's vendor protocol (0x80): requests a trusted agent (the host's OSPM) makes about another
/// agent. Other agents neither see it listed nor reach it (NOT_SUPPORTED).
/// </summary>
internal sealed class VscmiHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.VSCMI)
{
    public override bool TrustedOnly => true;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) => reply.WriteUInt32(0);

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)VscmiMessageId.VSCMI_AGENT_SYSTEM_POWER_NOTIFY, AgentSystemPowerNotify),
    ];

    /// <summary>
    /// Asks one agent to change its system state: SYSTEM_POWER_STATE_NOTIFIER to each of its
    /// channels subscribed to SYSTEM_POWER_STATE_NOTIFY (Linux's scmi_power_control then powers off
    /// or reboots in an orderly way; a VM's own "system"). NOT_FOUND for an agent that does not
    /// exist, INVALID_PARAMETERS for power up and reserved states, NOT_SUPPORTED when the agent has
    /// no subscribed channel (nobody would hear it).
    /// </summary>
    private ScmiStatus AgentSystemPowerNotify(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var agent = request.Params.ReadUInt32();
        var graceful = (request.Params.ReadUInt32() & NotifyFlags.Graceful) != 0;
        var state = request.Params.ReadUInt32();
        var timeout = request.Params.ReadUInt32();
        if (agent == 0 || agent > Platform.Model.Agents.Count)
            return ScmiStatus.NOT_FOUND;
        if (state is 3 or (>= 5 and < 0x80000000))
            return ScmiStatus.INVALID_PARAMETERS;
        if (Platform.Table.Handler((byte)ScmiProtocolId.SYSTEM) is not SystemPowerHandler system)
            return ScmiStatus.NOT_SUPPORTED;
        var sent = system.NotifyState((uint)request.Agent.AgentId, graceful, state, timeout, (int)agent);
        Platform.LogAgentSystemState(request.Agent.AgentName, Platform.Model.Agents[(int)agent - 1].Name, state, graceful, sent);
        return sent > 0 ? ScmiStatus.SUCCESS : ScmiStatus.NOT_SUPPORTED;
    }
}
