using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Vscmi.Platform.Hosting;
using Vscmi.Platform;
using Vscmi.Platform.Model;

namespace Vscmi.Transport.Tests;

public class TransportTests
{
    private static readonly TransportCapabilities Caps = new(MaxPayload: 128, MaxInFlight: 1, HasP2A: true);

    [Fact]
    public async Task The_platform_serves_over_an_in_process_pair()
    {
        var (agent, platformEnd) = InProcessTransport.CreatePair(Caps);
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var serving = PlatformServer.ServeAsync(platform, platformEnd, 1, NullLogger.Instance, cts.Token);

        await agent.SendAsync(Words(0x00145006, 0), cts.Token); // CLOCK_RATE_GET osc24m
        var buffer = new byte[Caps.MaxMessageSize];
        var length = await agent.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(Words(0x00145006, 0, 24000000, 0), buffer[..length]);

        await agent.DisposeAsync();
        await serving; // the platform end sees the close and returns
    }

    [Fact]
    public async Task An_oversized_in_process_message_is_answered_and_the_channel_goes_on()
    {
        var (agent, platformEnd) = InProcessTransport.CreatePair(Caps);
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var serving = PlatformServer.ServeAsync(platform, platformEnd, 1, NullLogger.Instance, cts.Token);
        var big = new byte[400];
        BinaryPrimitives.WriteUInt32LittleEndian(big, 0x00045006);
        await agent.SendAsync(big, cts.Token);
        var buffer = new byte[Caps.MaxMessageSize];
        Assert.Equal(Words(0x00045006, 0xFFFFFFF6), buffer[..await agent.ReceiveAsync(buffer, cts.Token)]);
        await agent.SendAsync(Words(0x00044000), cts.Token);
        Assert.Equal(Words(0x00044000, 0, 0x20001), buffer[..await agent.ReceiveAsync(buffer, cts.Token)]);
        await agent.DisposeAsync();
        await serving;
    }

    [Fact]
    public async Task Stream_frames_round_trip_and_concurrent_sends_never_interleave()
    {
        var (a, b) = await ConnectedPairAsync();
        await using var _ = a;
        await using var __ = b;
        var messages = Enumerable.Range(0, 200).Select(i => Words(Enumerable.Range(0, 1 + (i % 20)).Select(w => (uint)(i * 1000 + w)).ToArray())).ToList();
        var sends = messages.Select(m => a.SendAsync(m, CancellationToken.None).AsTask());
        var buffer = new byte[Caps.MaxMessageSize];
        var received = new List<byte[]>();
        var receiving = Task.Run(async () =>
        {
            for (var i = 0; i < messages.Count; i++)
                received.Add(buffer[..await b.ReceiveAsync(buffer, CancellationToken.None)]);
        });
        await Task.WhenAll(sends);
        await receiving;
        Assert.Equal(messages.Select(Convert.ToHexString).Order(), received.Select(Convert.ToHexString).Order());
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 0, 0, 1, 2, 3 }, "cannot hold the 4-byte SCMI header")]
    [InlineData(new byte[] { 1, 0, 1, 0 }, "beyond any SCMI message")] // 65,537 bytes
    [InlineData(new byte[] { 8, 0, 0, 0, 1, 2 }, "inside a frame")]
    [InlineData(new byte[] { 8, 0 }, "inside a frame's length")]
    public async Task Broken_framing_is_a_transport_exception(byte[] bytes, string message)
    {
        var (raw, transport) = await RawPairAsync();
        await using var _ = transport;
        raw.Send(bytes);
        raw.Shutdown(SocketShutdown.Send);
        var e = await Assert.ThrowsAnyAsync<ScmiTransportException>(async () => await transport.ReceiveAsync(new byte[Caps.MaxMessageSize], CancellationToken.None));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        raw.Dispose();
    }

    [Fact]
    public async Task A_clean_close_between_frames_reads_as_zero()
    {
        var (raw, transport) = await RawPairAsync();
        await using var _ = transport;
        raw.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await transport.ReceiveAsync(new byte[Caps.MaxMessageSize], CancellationToken.None));
        raw.Dispose();
    }

    [Theory]
    [InlineData("unix:/tmp/a.sock", "unix:/tmp/a.sock")]
    [InlineData("/tmp/b.sock", "unix:/tmp/b.sock")]
    [InlineData("tcp:127.0.0.1:4000", "tcp:127.0.0.1:4000")]
    [InlineData("tcp:localhost:4000", "tcp:localhost:4000")]
    [InlineData("tcp:[::1]:4000", "tcp:[::1]:4000")]
    public void Endpoints_parse(string text, string expected)
    {
        Assert.Equal(expected, StreamEndpoint.Parse(text).ToString());
    }

    [Theory]
    [InlineData("tcp:127.0.0.1", "tcp:HOST:PORT")]
    [InlineData("tcp:127.0.0.1:0", "tcp:HOST:PORT")]
    [InlineData("tcp:127.0.0.1:99999", "tcp:HOST:PORT")]
    [InlineData("tcp:example.org:80", "not an IP address")]
    [InlineData("unix:", "empty")]
    public void Bad_endpoints_say_why(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => StreamEndpoint.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_too_long_unix_path_is_refused()
    {
        Assert.Throws<FormatException>(() => StreamEndpoint.Parse("/tmp/" + new string('x', 120)));
    }

    private static async Task<(StreamSocketTransport, StreamSocketTransport)> ConnectedPairAsync()
    {
        var (listener, endpoint) = Listen();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var client = await StreamSocketTransport.ConnectAsync(endpoint, Caps, timeout.Token);
            var accepted = await listener.AcceptAsync(timeout.Token);
            return (client, new StreamSocketTransport(accepted, Caps, "server"));
        }
        finally
        {
            listener.Dispose();
            File.Delete(endpoint.UnixPath!);
        }
    }

    private static async Task<(Socket Raw, StreamSocketTransport Transport)> RawPairAsync()
    {
        var (listener, endpoint) = Listen();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var raw = endpoint.CreateSocket();
            await raw.ConnectAsync(endpoint.EndPoint, timeout.Token);
            var accepted = await listener.AcceptAsync(timeout.Token);
            return (raw, new StreamSocketTransport(accepted, Caps, "server"));
        }
        finally
        {
            listener.Dispose();
            File.Delete(endpoint.UnixPath!);
        }
    }

    private static (Socket, StreamEndpoint) Listen()
    {
        var endpoint = StreamEndpoint.Parse("unix:" + Path.Combine(Path.GetTempPath(), $"vscmi-t-{Guid.NewGuid():N}"[..24] + ".sock"));
        var listener = endpoint.CreateSocket();
        listener.Bind(endpoint.EndPoint);
        listener.Listen();
        return (listener, endpoint);
    }

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }
}
