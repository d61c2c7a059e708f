using Vscmi.Linux;

namespace Vscmi.VhostUser;

/// <summary>
/// The data-plane thread of one connection (STYLE 16; rust-vmm vhost-user-backend event_loop.rs):
/// epoll over the rings' kick eventfds plus an exit eventfd. A kick runs the device's queue on
/// this thread; nothing here waits on another VM. An exception out of a kick (a bug, never a
/// guest's doing: guest input is validated) goes to <c>onFault</c>, which marks this VM's device
/// broken; the thread goes on serving its exit event, and no other VM notices.
/// </summary>
internal sealed class DataPlane : IDisposable
{
    private const ulong ExitCookie = ulong.MaxValue;

    private readonly Epoll _epoll = new();
    private readonly EventFd _exit = new();
    private readonly Action<int> _onKick;
    private readonly Action<Exception> _onFault;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public DataPlane(string name, Action<int> onKick, Action<Exception> onFault)
    {
        _onKick = onKick;
        _onFault = onFault;
        _epoll.Add(_exit.Descriptor, ExitCookie);
        _thread = new Thread(Run) { IsBackground = true, Name = $"vhost-user {name}" };
        _thread.Start();
    }

    /// <summary>Watches a ring's kick eventfd; edge-triggered, a kick is seen without reading the fd (one syscall less per wake-up).</summary>
    public void Watch(FileDescriptor kick, int queue, bool edgeTriggered = false) => _epoll.Add(kick, (ulong)queue, edgeTriggered);

    /// <summary>Stops watching a kick eventfd (before it is closed or replaced).</summary>
    public void Unwatch(FileDescriptor kick) => _epoll.Remove(kick);

    private void Run()
    {
        Span<ulong> ready = stackalloc ulong[8];
        while (!_stopping)
        {
            var count = _epoll.Wait(ready, -1);
            for (var i = 0; i < count && !_stopping; i++)
            {
                if (ready[i] == ExitCookie)
                    return;
                Serve((int)ready[i]);
            }
        }
    }

#pragma warning disable CA1031 // The last resort of this thread: one VM's bug must not end the daemon.
    private void Serve(int queue)
    {
        try
        {
            _onKick(queue);
        }
        catch (Exception e)
        {
            try
            {
                _onFault(e);
            }
            catch (Exception)
            {
                // The fault handler failed too (its logger, say): the device stays as it is; the
                // thread must still live to see its exit event.
            }
        }
    }
#pragma warning restore CA1031

    public void Dispose()
    {
        _stopping = true;
        _exit.Signal();
        if (Thread.CurrentThread != _thread)
            _thread.Join();
        _epoll.Dispose();
        _exit.Dispose();
    }
}
