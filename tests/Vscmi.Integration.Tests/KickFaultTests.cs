using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Vscmi.Agent;
using Vscmi.Platform;
using Vscmi.Platform.Model;
using Vscmi.VhostUser;
using Vscmi.Virtio;

namespace Vscmi.Integration.Tests;

/// <summary>
/// A bug on one VM's kick path (here: its logger throws while the device logs a short command)
/// must stop that VM's device only: the data-plane thread catches it, marks the device broken,
/// signals the VM's error eventfd, and every other VM of the daemon goes on being served.
/// </summary>
public sealed class KickFaultTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vscmi-fault-").FullName;
    private readonly ScmiPlatform _platform = new(ModelLoader.LoadDefault());
    private readonly ThrowingLogger _faultyLog = new(throwOn: 302); // 302: the device's "short command" warning
    private VhostUserBackend? _faulty;
    private VhostUserBackend? _healthy;

    [Fact]
    public async Task A_kick_that_throws_breaks_only_that_VMs_device()
    {
        _faulty = VhostUserBackend.Listen(_platform, 2, Path.Combine(_dir, "guest.vm"), _faultyLog);
        _healthy = VhostUserBackend.Listen(_platform, 1, Path.Combine(_dir, "ospm.vm"));
        _faulty.Start();
        _healthy.Start();
        await using var ospm = new ScmiClient(await VhostUserTransport.ConnectAsync(_healthy.Path));
        Assert.Equal("vscmi", (await ospm.Base.DiscoverAsync()).Vendor);

        await using (var frontend = await VhostUserFrontend.ConnectAsync(_faulty.Path, new VhostUserFrontendOptions { QueueSize = 16 }))
        {
            // One readable byte (less than a header), then room for a reply.
            var q = frontend.CommandQueue!;
            var request = new GuestAddress(frontend.Options.MemoryBase + 0x80000);
            q.WriteDescriptor(0, request, 1, SplitRing.VIRTQ_DESC_F_NEXT, 1);
            q.WriteDescriptor(1, new GuestAddress(request.Value + 256), 136, SplitRing.VIRTQ_DESC_F_WRITE, 0);
            q.Publish(0);
            frontend.Kicks[0].Signal();

            await Poll.Until(() => frontend.Errors.Consume() > 0, "the faulty VM's error eventfd");
            Assert.Contains(404, _faultyLog.Logged); // the data plane's "a kick failed inside vscmi"
            Assert.Contains(300, _faultyLog.Logged); // the device's "marked broken"

            // The other VM is served meanwhile, and the same thread still serves its own kicks (ignored: broken).
            Assert.Equal("vscmi", (await ospm.Base.DiscoverAsync()).Vendor);
            frontend.Kicks[0].Signal();
            Assert.Equal(0x20001u, await ospm.Base.GetVersionAsync());
        }

        // The faulty VM's next frontend (a reboot) gets a healthy device: disconnecting reset it,
        // and the connection's data-plane thread ended on its exit event.
        await using var again = new ScmiClient(await VhostUserTransport.ConnectAsync(_faulty.Path));
        Assert.Equal(new AgentInfo(2, "guest"), await again.Base.DiscoverAgentAsync(0xFFFFFFFF));
    }

    public async ValueTask DisposeAsync()
    {
        if (_faulty is not null)
            await _faulty.DisposeAsync();
        if (_healthy is not null)
            await _healthy.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A logger that throws for one event id (a faulty sink) and records every event id it saw.</summary>
    private sealed class ThrowingLogger(int throwOn) : ILogger
    {
        private readonly ConcurrentQueue<int> _logged = new();

        public IEnumerable<int> Logged => _logged;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            _logged.Enqueue(eventId.Id);
            if (eventId.Id == throwOn)
                throw new InvalidOperationException("injected: the log sink failed");
        }
    }
}
