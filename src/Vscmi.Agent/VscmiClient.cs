namespace Vscmi.Agent;

/// <summary>vscmi's vendor protocol (0x80): what a trusted agent asks the platform about other agents.</summary>
public sealed class VscmiClient : ProtocolClient
{
    internal VscmiClient(ScmiClient client)
        : base(client, ScmiProtocolId.VSCMI)
    {
    }

    /// <summary>
    /// VSCMI_AGENT_SYSTEM_POWER_NOTIFY: sends SYSTEM_POWER_STATE_NOTIFIER to one agent (0 shutdown,
    /// 1 cold reset, 2 warm reset, 4 suspend), so a VM shuts down or reboots in an orderly way.
    /// NOT_SUPPORTED when the agent has no channel subscribed to it.
    /// </summary>
    public Task NotifyAgentSystemPowerAsync(uint agentId, uint systemState, bool graceful = true, uint timeoutMs = 0, CancellationToken cancellationToken = default) =>
        CallAsync(new VscmiMessages.VscmiAgentSystemPowerNotifyRequest(agentId, graceful, systemState, timeoutMs), cancellationToken);
}
