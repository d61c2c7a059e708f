using System.Diagnostics.Metrics;

namespace Vscmi.VhostUser;

/// <summary>The vhost-user layer's counters: one <see cref="Meter"/> named <c>Vscmi.VhostUser</c> (see <c>VirtioMetrics</c>).</summary>
public static class VhostUserMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Vscmi.VhostUser";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Frontend connections accepted.</summary>
    internal static readonly Counter<long> Connections = Meter.CreateCounter<long>("vscmi.vhost_user.connections", "{connection}", "Frontend connections accepted");

    /// <summary>Frontends connected now.</summary>
    internal static readonly UpDownCounter<long> ActiveConnections = Meter.CreateUpDownCounter<long>("vscmi.vhost_user.connections.active", "{connection}", "Frontends connected now");

    /// <summary>Requests refused (malformed, not offered, descriptors where none may be).</summary>
    internal static readonly Counter<long> RefusedRequests = Meter.CreateCounter<long>("vscmi.vhost_user.requests.refused", "{request}", "vhost-user requests refused");
}
