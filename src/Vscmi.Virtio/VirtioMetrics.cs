using System.Diagnostics.Metrics;

namespace Vscmi.Virtio;

/// <summary>
/// The virtio layer's counters (STYLE 19): one <see cref="Meter"/> named <c>Vscmi.Virtio</c>,
/// OpenTelemetry-style instrument names with units. Watch a running daemon with
/// <c>dotnet-counters monitor -n vscmi --counters Vscmi.Virtio,Vscmi.VhostUser</c>.
/// Adding to a counter nobody listens to costs a branch and allocates nothing.
/// </summary>
public static class VirtioMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Vscmi.Virtio";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Commands answered on a cmdq.</summary>
    internal static readonly Counter<long> Commands = Meter.CreateCounter<long>("vscmi.virtio.commands", "{command}", "Commands answered on virtio-scmi cmdqs");

    /// <summary>Notifications and delayed responses delivered on an eventq.</summary>
    internal static readonly Counter<long> Events = Meter.CreateCounter<long>("vscmi.virtio.events", "{event}", "Notifications and delayed responses delivered on eventqs");

    /// <summary>Events omitted because the driver's buffer was too small.</summary>
    internal static readonly Counter<long> EventsOmitted = Meter.CreateCounter<long>("vscmi.virtio.events.omitted", "{event}", "Events that did not fit the driver's eventq buffer");

    /// <summary>Tag: the agent (VM) the device belongs to; the same name the platform's metrics use.</summary>
    public const string AgentTag = "scmi.agent";

    /// <summary>Devices marked broken by a driver that broke the ring rules (ring violations), by agent.</summary>
    internal static readonly Counter<long> BrokenDevices = Meter.CreateCounter<long>("vscmi.virtio.devices.broken", "{device}", "Devices marked broken by a misbehaving driver");

    /// <summary>Device resets (the driver or the frontend reset it, a VM rebooted), by agent.</summary>
    internal static readonly Counter<long> Resets = Meter.CreateCounter<long>("vscmi.virtio.device.resets", "{reset}", "Device resets");

    /// <summary>Times events waited because the driver had posted no eventq buffer, by agent.</summary>
    internal static readonly Counter<long> EventqStarved = Meter.CreateCounter<long>("vscmi.virtio.eventq.starved", "{event}", "Times events found no eventq buffer and had to wait");
}
