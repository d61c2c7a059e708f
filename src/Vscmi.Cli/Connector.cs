using System.Net.Sockets;
using Vscmi.Agent;
using Vscmi.VhostUser;

namespace Vscmi.Cli;

/// <summary>Turns a --connect value into a connected client, over whichever transport it names.</summary>
internal static class Connector
{
    public const string Help = "The platform: unix:PATH (or a bare path), tcp:HOST:PORT, vhost-user:PATH (a VM's virtio-scmi socket, driven by vscmi's own frontend as QEMU and a guest driver would), or linux-raw[:N] (this machine's own SCMI platform through Linux's raw debugfs, instance N, default 0; needs root and CONFIG_ARM_SCMI_RAW_MODE_SUPPORT). Default: unix:vscmi.sock, where 'vscmi serve' listens by default.";

    public const string LinuxRawPrefix = "linux-raw";

    public const string VhostUserPrefix = "vhost-user:";

    public static async Task<ScmiClient> ConnectAsync(string endpoint, CancellationToken cancellationToken, ScmiClientOptions? options = null)
    {
        if (endpoint == LinuxRawPrefix || endpoint.StartsWith(LinuxRawPrefix + ":", StringComparison.Ordinal))
        {
            try
            {
                return new ScmiClient(Vscmi.Transport.LinuxRawTransport.Open(endpoint[LinuxRawPrefix.Length..].TrimStart(':')), options);
            }
            catch (Vscmi.Transport.ScmiTransportException e)
            {
                throw new ScmiDisconnectedException(e.Message, e);
            }
        }

        if (!endpoint.StartsWith(VhostUserPrefix, StringComparison.Ordinal))
            return await ScmiClient.ConnectAsync(endpoint, options, cancellationToken: cancellationToken).ConfigureAwait(false);
        var path = endpoint[VhostUserPrefix.Length..];
        if (path.Length == 0)
            throw new FormatException("vhost-user: needs a socket path (vhost-user:PATH)");
        try
        {
            var transport = await VhostUserTransport.ConnectAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ScmiClient(transport, options);
        }
        catch (SocketException e)
        {
            var hint = e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable
                ? File.Exists(path) ? "the socket exists but nothing listens on it (a stale socket, or the VM's QEMU holds it)" : "no such socket: is 'vscmi serve --vhost-user' running?"
                : e.Message;
            throw new ScmiDisconnectedException($"cannot connect to vhost-user:{path}: {hint}", e);
        }
        catch (VhostUserProtocolException e)
        {
            throw new ScmiDisconnectedException($"vhost-user:{path}: setup failed: {e.Message}", e);
        }
    }
}
