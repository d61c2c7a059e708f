using System.Buffers.Binary;
using Vscmi.Transport;

namespace Vscmi.Agent.Tests;

/// <summary>A scripted platform on the other end of an in-process pair: the test decides what comes back and when.</summary>
internal sealed class FakePlatform : IAsyncDisposable
{
    private readonly InProcessTransport _end;

    /// <summary>The scripts answer every request themselves, so the client asks no PROTOCOL_VERSION of its own.</summary>
    public FakePlatform(ScmiClientOptions? options = null, TimeSpan? replyTimeout = null)
    {
        var (agent, platform) = InProcessTransport.CreatePair(new TransportCapabilities(128, 64, true) { ReplyTimeout = replyTimeout ?? TransportCapabilities.DefaultReplyTimeout });
        _end = platform;
        Client = new ScmiClient(agent, (options ?? new ScmiClientOptions()) with { LearnPlatformVersions = false });
    }

    /// <summary>A fake whose client learns versions (the scripts answer its PROTOCOL_VERSION requests too).</summary>
    public static FakePlatform LearningVersions() => new(learn: true);

    private FakePlatform(bool learn)
    {
        var (agent, platform) = InProcessTransport.CreatePair(new TransportCapabilities(128, 64, true));
        _end = platform;
        Client = new ScmiClient(agent, new ScmiClientOptions { LearnPlatformVersions = learn });
    }

    public ScmiClient Client { get; }

    /// <summary>The next request the client sent.</summary>
    public async Task<byte[]> ReceiveAsync()
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var length = await _end.ReceiveAsync(buffer, timeout.Token);
        return buffer[..length];
    }

    public static uint Header(byte[] request) => BinaryPrimitives.ReadUInt32LittleEndian(request);

    public static ushort Token(byte[] request) => ScmiHeader.FromValueUnchecked(Header(request)).Token;

    public Task SendAsync(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return _end.SendAsync(bytes, CancellationToken.None).AsTask();
    }

    public ValueTask CloseAsync() => _end.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _end.DisposeAsync();
    }
}
