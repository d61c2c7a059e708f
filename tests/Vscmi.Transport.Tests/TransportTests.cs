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

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the platform's side: a thread of its own, blocking recv and send
    public async Task Frames_split_anywhere_and_packed_together_are_received_whole(bool synchronous)
    {
        var (raw, transport) = await RawPairAsync(synchronous);
        await using var _ = transport;
        var random = new Random(5);
        var messages = Enumerable.Range(0, 300).Select(i => Words(Enumerable.Range(0, 1 + random.Next(32)).Select(w => (uint)((i << 8) + w)).ToArray())).ToList();
        var stream = messages.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m)).ToArray();
        var writing = Task.Run(() =>
        {
            // Chunks of 1 to 700 bytes: frames cut inside their length, inside their body, and many in one write.
            for (var at = 0; at < stream.Length;)
            {
                var size = Math.Min(stream.Length - at, random.Next(1, 700));
                raw.Send(stream.AsSpan(at, size));
                at += size;
            }
        });
        var buffer = new byte[Caps.MaxMessageSize];
        foreach (var expected in messages)
            Assert.Equal(expected, buffer[..await transport.ReceiveAsync(buffer, CancellationToken.None)]);
        await writing;
        raw.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await transport.ReceiveAsync(buffer, CancellationToken.None));
        raw.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the platform's side: a thread of its own, blocking recv and send
    public async Task Coalesced_replies_wait_for_the_last_received_command_then_go_out_together_in_order(bool synchronous)
    {
        var (raw, transport) = await RawPairAsync(synchronous);
        transport.CoalesceReplies = true;
        await using var _ = transport;
        var commands = Enumerable.Range(1, 3).Select(i => Words((uint)i, 0xA0 + (uint)i)).ToList();
        raw.Send(commands.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m)).ToArray());
        var buffer = new byte[Caps.MaxMessageSize];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(commands[i], buffer[..await transport.ReceiveAsync(buffer, CancellationToken.None)]);
            await transport.SendAsync(Words((uint)i + 1, 0), CancellationToken.None);
            if (i < 2)
                Assert.False(raw.Poll(50_000, SelectMode.SelectRead), $"reply {i + 1} went out while command {i + 2} was waiting");
        }

        var replies = new byte[3 * 12];
        for (var got = 0; got < replies.Length;)
            got += raw.Receive(replies.AsSpan(got));
        Assert.Equal(Enumerable.Range(1, 3).SelectMany(i => BitConverter.GetBytes(8).Concat(Words((uint)i, 0))).ToArray(), replies);
        await transport.FlushAsync(CancellationToken.None); // nothing waits: nothing is sent
        Assert.False(raw.Poll(50_000, SelectMode.SelectRead));
        raw.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the platform's side: a thread of its own, blocking recv and send
    public async Task An_oversized_frame_packed_with_the_next_is_drained_and_the_next_is_received_whole(bool synchronous)
    {
        var (raw, transport) = await RawPairAsync(synchronous);
        await using var _ = transport;
        var big = Words([0x00045006, .. Enumerable.Range(0, 2000).Select(i => (uint)i)]);
        var next = Words(0x00044000);
        raw.Send(new[] { big, next }.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m)).ToArray());
        var buffer = new byte[Caps.MaxMessageSize];
        var e = await Assert.ThrowsAsync<OversizedMessageException>(async () => await transport.ReceiveAsync(buffer, CancellationToken.None));
        Assert.Equal((0x00045006u, big.Length), (e.Header, e.Length));
        Assert.Equal(next, buffer[..await transport.ReceiveAsync(buffer, CancellationToken.None)]);
        raw.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the platform's side: a thread of its own, blocking recv and send
    public async Task A_clean_close_between_frames_reads_as_zero(bool synchronous)
    {
        var (raw, transport) = await RawPairAsync(synchronous);
        await using var _ = transport;
        raw.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await transport.ReceiveAsync(new byte[Caps.MaxMessageSize], CancellationToken.None));
        raw.Dispose();
    }

    [Fact]
    public async Task A_synchronous_send_to_a_peer_that_stopped_reading_ends_the_connection_after_its_timeout()
    {
        var (raw, transport) = await RawPairAsync(synchronous: true, sendTimeout: TimeSpan.FromMilliseconds(300));
        await using var _ = transport;
        var message = new byte[Caps.MaxMessageSize];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ScmiTransportException>(async () =>
        {
            // The peer never reads: the socket's buffers fill, then a send waits, then gives up.
            for (var i = 0; i < 1_000_000; i++)
                await transport.SendAsync(message, CancellationToken.None);
        });
        Assert.Contains("send failed", e.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(20));
        raw.Dispose();
    }

    [Fact]
    public async Task Interrupt_ends_a_blocked_synchronous_receive_as_a_close()
    {
        var (raw, transport) = await RawPairAsync(synchronous: true);
        await using var _ = transport;
        var receive = Task.Run(async () => await transport.ReceiveAsync(new byte[Caps.MaxMessageSize], CancellationToken.None));
        await Task.Delay(100);
        Assert.False(receive.IsCompleted);
        transport.Interrupt();
        Assert.Equal(0, await receive.WaitAsync(TimeSpan.FromSeconds(10)));
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

    private static async Task<(Socket Raw, StreamSocketTransport Transport)> RawPairAsync(bool synchronous = false, TimeSpan? sendTimeout = null)
    {
        var (listener, endpoint) = Listen();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var raw = endpoint.CreateSocket();
            await raw.ConnectAsync(endpoint.EndPoint, timeout.Token);
            var accepted = await listener.AcceptAsync(timeout.Token);
            return (raw, new StreamSocketTransport(accepted, Caps, "server")
            {
                Synchronous = synchronous,
                SendTimeout = sendTimeout ?? StreamSocketTransport.DefaultSendTimeout,
            });
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
