using Vscmi.Agent;
using Vscmi.Agent.Tests;
using Vscmi.VhostUser;

namespace Vscmi.Integration.Tests;

/// <summary>
/// Every protocol through our vhost-user frontend (memfd guest memory, split rings, eventfds) to
/// a <c>vscmi serve --vhost-user</c> daemon in its own process: two VMs, OSPM and guest.
/// </summary>
public sealed class VhostUserClientTests : ClientPlatformContract
{
    private ServeProcess? _serve;

    protected override async Task<(ScmiClient Ospm, ScmiClient Guest)> ConnectAsync()
    {
        _serve = await ServeProcess.StartAsync("--vhost-user", "OSPM={dir}/ospm.vm", "--vhost-user", "guest={dir}/guest.vm");
        var ospm = new ScmiClient(await VhostUserTransport.ConnectAsync(_serve.PathOf("ospm.vm")));
        var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(_serve.PathOf("guest.vm")));
        return (ospm, guest);
    }

    protected override async Task StopAsync() => await _serve!.DisposeAsync();
}
