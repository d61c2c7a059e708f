using System.Net.Sockets;

namespace Vscmi.Transport;

/// <summary>A Unix socket path a server is about to bind: stale files from a stopped server go, live ones are refused.</summary>
public static class UnixSocketPath
{
    /// <summary>
    /// Deletes a socket file nobody listens on (a server that stopped without cleaning up); a file
    /// with a live listener is an <see cref="SocketError.AddressAlreadyInUse"/> error.
    /// </summary>
    /// <exception cref="SocketException">Another server is listening on <paramref name="path"/>.</exception>
    public static void RemoveStale(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path) || (File.GetAttributes(path) & FileAttributes.Directory) != 0)
            return;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException)
            {
                File.Delete(path);
                return;
            }
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    /// <summary>Binds and listens on <paramref name="path"/> after <see cref="RemoveStale"/>.</summary>
    /// <exception cref="SocketException">The path is in use or not allowed.</exception>
    public static Socket Listen(string path, int backlog)
    {
        RemoveStale(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
