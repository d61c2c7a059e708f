using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

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
        CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_SET, cancellationToken, ("graceful", graceful ? 1u : 0), ("system_state", systemState));

    /// <summary>SYSTEM_POWER_STATE_GET.</summary>
    public async Task<uint> GetStateAsync(CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_GET, cancellationToken).ConfigureAwait(false)).GetUInt64("system_state");

    /// <summary>SYSTEM_POWER_STATE_NOTIFY.</summary>
    public Task NotifyAsync(bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)SystemMessageId.SYSTEM_POWER_STATE_NOTIFY, cancellationToken, ("notify_enable", enable ? 1u : 0));
}
