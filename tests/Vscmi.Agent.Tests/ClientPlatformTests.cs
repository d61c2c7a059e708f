using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.Transport;

namespace Vscmi.Agent.Tests;

/// <summary>The contract over a Unix stream socket, platform in this process.</summary>
public sealed class ClientPlatformTests : ClientPlatformContract
{
    private readonly string _socket = Path.Combine(Path.GetTempPath(), $"vscmi-a-{Guid.NewGuid():N}"[..22] + ".sock");
    private PlatformServer? _server;

    protected override async Task<(ScmiClient Ospm, ScmiClient Guest)> ConnectAsync()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        _server = new PlatformServer(platform, new TransportCapabilities(128, 1, true), NullLogger.Instance);
        _server.Listen(StreamEndpoint.Parse("unix:" + _socket), 1);
        _server.Listen(StreamEndpoint.Parse("unix:" + _socket + "2"), 2);
        _server.Start();
        return (await ScmiClient.ConnectAsync("unix:" + _socket), await ScmiClient.ConnectAsync("unix:" + _socket + "2"));
    }

    protected override async Task StopAsync() => await _server!.DisposeAsync();

    [Fact]
    public async Task A_refused_connection_names_the_socket_and_the_likely_cause()
    {
        var e = await Assert.ThrowsAsync<ScmiDisconnectedException>(() => ScmiClient.ConnectAsync("unix:/tmp/vscmi-none.sock"));
        Assert.Contains("unix:/tmp/vscmi-none.sock", e.Message, StringComparison.Ordinal);
        Assert.Contains("is 'vscmi serve' running", e.Message, StringComparison.Ordinal);
    }
}
