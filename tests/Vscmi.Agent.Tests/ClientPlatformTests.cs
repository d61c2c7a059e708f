using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform.Hosting;
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
        platform.StartSensorSampling(TimeSpan.FromMilliseconds(200)); // as serve does: trip points and continuous updates
        _server = new PlatformServer(platform, new TransportCapabilities(128, 1, true), NullLogger.Instance);
        _server.Listen(StreamEndpoint.Parse("unix:" + _socket), 1);
        _server.Listen(StreamEndpoint.Parse("unix:" + _socket + "2"), 2);
        _server.Start();
        return (await ScmiClient.ConnectAsync("unix:" + _socket), await ScmiClient.ConnectAsync("unix:" + _socket + "2"));
    }

    protected override async Task StopAsync() => await _server!.DisposeAsync();

    [Fact]
    public async Task Subscribed_errors_name_the_agent_whose_message_was_malformed()
    {
        await Ospm.Base.NotifyErrorsAsync(true);
        // A second connection for the guest sends CLOCK_RATE_GET without its clock id (no client would).
        await using var raw = await StreamSocketTransport.ConnectAsync(StreamEndpoint.Parse("unix:" + _socket + "2"), new TransportCapabilities(128, 1, true), CancellationToken.None);
        await raw.SendAsync(new byte[] { 0x06, 0x50, 0x08, 0x00 }, CancellationToken.None);
        var reply = new byte[16];
        Assert.Equal(8, await raw.ReceiveAsync(reply, CancellationToken.None));
        Assert.Equal(new byte[] { 0x06, 0x50, 0x08, 0x00, 0xF6, 0xFF, 0xFF, 0xFF }, reply[..8]); // PROTOCOL_ERROR
        var error = await NextNotificationAsync("BASE_ERROR_EVENT");
        Assert.Equal((2ul, 1ul, 0ul), (error.GetUInt64("agent_id"), error.GetUInt64("num_reports"), error.GetUInt64("fatal")));
        Assert.Equal(new ulong[] { 0x00085006_FFFFFFF6 }, error.GetNumbers("reports"));
    }

    [Fact]
    public async Task A_refused_connection_names_the_socket_and_the_likely_cause()
    {
        var e = await Assert.ThrowsAsync<ScmiDisconnectedException>(() => ScmiClient.ConnectAsync("unix:/tmp/vscmi-none.sock"));
        Assert.Contains("unix:/tmp/vscmi-none.sock", e.Message, StringComparison.Ordinal);
        Assert.Contains("is 'vscmi serve' running", e.Message, StringComparison.Ordinal);
    }
}
