using static Vscmi.Protocol.Messages.SystemMessages;

namespace Vscmi.Agent;

/// <summary>System power management (0x12).</summary>
public sealed class SystemPowerClient : ProtocolClient
{
    internal SystemPowerClient(ScmiClient client)
        : base(client, ScmiProtocolId.SYSTEM)
    {
    }

    /// <summary>SYSTEM_POWER_STATE_SET: 0 shutdown, 1 cold reset, 2 warm reset, 4 suspend.</summary>
    public Task SetStateAsync(uint systemState, bool graceful, CancellationToken cancellationToken = default) =>
        CallAsync(new SystemPowerStateSetRequest(graceful, systemState), cancellationToken);

    /// <summary>SYSTEM_POWER_STATE_GET.</summary>
    public async Task<uint> GetStateAsync(CancellationToken cancellationToken = default) =>
        (await CallAsync(new SystemPowerStateGetRequest(), cancellationToken).ConfigureAwait(false)).SystemState;

    /// <summary>SYSTEM_POWER_STATE_NOTIFY.</summary>
    public Task NotifyAsync(bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new SystemPowerStateNotifyRequest(enable), cancellationToken);
}
