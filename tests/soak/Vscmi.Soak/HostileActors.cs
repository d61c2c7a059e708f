using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Vscmi.Agent;
using Vscmi.Linux;
using Vscmi.VhostUser;
using Vscmi.Virtio;

using Vscmi.Integration.Tests;

namespace Vscmi.Soak;

/// <summary>
/// The hostile actors, each on an agent of its own, each a loop of one kind of abuse with a pause
/// between rounds. They check what the daemon guarantees about them (a limit holds, unsealed
/// memory is refused) and count their rounds; their connections may fail in any way.
/// </summary>
internal sealed class HostileActors(SoakModel model, string vscmi, Tally tally, Hostility hostility)
{
    /// <summary>The kinds counted in <see cref="Tally.Counts"/>.</summary>
    public static readonly string[] Kinds =
    [
        "malformed frames", "reconnect storm", "connection limit", "flood", "ring violation", "frontend kill -9", "vhost-user junk", "unsealed memory",
    ];

    private readonly Random _random = new(19);

    private string SocketOf(string name) => model.Agents.Single(a => a.Name == name).Socket;

    public IEnumerable<Task> Start(CancellationToken stop)
    {
        yield return Loop("malformed frames", TimeSpan.FromMilliseconds(200), MalformedFramesAsync, stop);
        yield return Loop("reconnect storm", TimeSpan.FromSeconds(2), ReconnectStormAsync, stop);
        yield return Loop("connection limit", TimeSpan.FromSeconds(2), ConnectionLimitAsync, stop);
        yield return Loop("flood", TimeSpan.FromSeconds(4), FloodAsync, stop);
        yield return Loop("ring violation", TimeSpan.FromMilliseconds(700), RingViolationAsync, stop);
        yield return Loop("frontend kill -9", TimeSpan.FromSeconds(1), KillFrontendAsync, stop);
        yield return Loop("vhost-user junk", TimeSpan.FromMilliseconds(500), VhostUserJunkAsync, stop);
        yield return Loop("unsealed memory", TimeSpan.FromSeconds(3), UnsealedMemoryAsync, stop);
    }

    private Task Loop(string kind, TimeSpan pause, Func<CancellationToken, Task> round, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using (await hostility.EnterAsync(stop))
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    timeout.CancelAfter(TimeSpan.FromSeconds(20));
                    await round(timeout.Token);
                    tally.Hostile(kind);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a hostile round may fail in any way; the daemon's side is what is checked
            catch (Exception)
#pragma warning restore CA1031
            {
                tally.Hostile(kind);
            }

            try
            {
                await Task.Delay(pause, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }, CancellationToken.None);

    private static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = 2000;
        return socket;
    }

    /// <summary>Reads until the daemon closes the connection or 2 s pass; true when it closed.</summary>
    private static bool DrainUntilClosed(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }

            return true;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode != SocketError.TimedOut && e.SocketErrorCode != SocketError.WouldBlock;
        }
    }

    private byte[] RandomBytes(int max)
    {
        lock (_random)
        {
            var bytes = new byte[_random.Next(1, max)];
            _random.NextBytes(bytes);
            return bytes;
        }
    }

    private int Next(int max)
    {
        lock (_random)
            return _random.Next(max);
    }

    /// <summary>Garbage frames on a stream socket: random bytes, huge and tiny lengths, bad headers.</summary>
    private Task MalformedFramesAsync(CancellationToken stop)
    {
        using var socket = Connect(SocketOf("h-malformed"));
        var frame = (Next(5)) switch
        {
            0 => RandomBytes(300),
            1 => [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4], // a 2 GiB frame
            2 => [3, 0, 0, 0, 0x00, 0x40, 0x00], // a frame too short for a header
            3 => [8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], // a header with every reserved bit set
            _ => [.. BitConverter.GetBytes(200), .. RandomBytes(200)], // a frame announced longer than it is, then the end
        };
        socket.Send(frame);
        socket.Shutdown(SocketShutdown.Send);
        DrainUntilClosed(socket);
        return Task.CompletedTask;
    }

    /// <summary>Fifty connections opened and closed at once, some after half a frame.</summary>
    private Task ReconnectStormAsync(CancellationToken stop)
    {
        for (var i = 0; i < 50 && !stop.IsCancellationRequested; i++)
        {
            using var socket = Connect(SocketOf("h-storm"));
            if (i % 3 == 0)
                socket.Send([8, 0, 0, 0, 0x00]);
        }

        return Task.CompletedTask;
    }

    /// <summary>More connections than the agent's max_connections: never more than the limit may be answered.</summary>
    private Task ConnectionLimitAsync(CancellationToken stop)
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < SoakModel.ConnectionLimit + 6; i++)
                sockets.Add(Connect(SocketOf("h-connlimit")));
            var served = 0;
            foreach (var socket in sockets)
            {
                try
                {
                    socket.Send([4, 0, 0, 0, 0x00, 0x40, 0x00, 0x00]); // BASE PROTOCOL_VERSION
                    var reply = new byte[64];
                    if (socket.Receive(reply) >= 12)
                        served++;
                }
                catch (SocketException)
                {
                    // closed at once: over the limit
                }
            }

            Interlocked.Add(ref tally.ConnLimitServed, served);
            Interlocked.Add(ref tally.ConnLimitRefused, sockets.Count - served);
            if (served > SoakModel.ConnectionLimit)
                Interlocked.Increment(ref tally.ConnLimitOver);
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }

        // Let the daemon see the closes before the next round counts its places.
        return Task.Delay(300, stop);
    }

    /// <summary>One second of commands far over the agent's commands_per_second: SUCCESS or BUSY only.</summary>
    private async Task FloodAsync(CancellationToken stop)
    {
        await using var client = await ScmiClient.ConnectAsync("unix:" + SocketOf("h-flood"), new ScmiClientOptions { Timeout = TimeSpan.FromSeconds(5), LearnPlatformVersions = false }, cancellationToken: stop);
        var end = Stopwatch.StartNew();
        var empty = new FieldSet();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (end.Elapsed < TimeSpan.FromSeconds(1))
            {
                var reply = await client.RequestAsync(ScmiProtocolId.BASE, 0, empty, cancellationToken: stop);
                if (reply.Status == 0)
                    Interlocked.Increment(ref tally.FloodSuccess);
                else if (reply.Status == (int)ScmiStatus.BUSY)
                    Interlocked.Increment(ref tally.FloodBusy);
                else
                    Interlocked.Increment(ref tally.FloodOther);
            }
        }));
    }

    /// <summary>A frontend whose driver breaks its command queue one of six ways (<see cref="HostileRings"/>: five mark the device broken).</summary>
    private async Task RingViolationAsync(CancellationToken stop)
    {
        await using var frontend = await VhostUserFrontend.ConnectAsync(SocketOf("h-ring"), new VhostUserFrontendOptions { QueueSize = 64 }, stop);
        HostileRings.Break(frontend, HostileRings.Kinds[Next(HostileRings.Kinds.Length)]);
        await Task.Delay(100, stop);
    }

    /// <summary>
    /// A frontend in a process of its own (vscmi bench: 16 commands in flight on the VM's queue),
    /// killed with SIGKILL mid-command after 0.2 to 1.2 s.
    /// </summary>
    private async Task KillFrontendAsync(CancellationToken stop)
    {
        var info = new ProcessStartInfo(vscmi) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "bench", "--connect", "vhost-user:" + SocketOf("h-kill9"), "--command", "SENSOR_READING_GET", "--inflight", "16", "--duration", "30", "--json" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        try
        {
            await Task.Delay(200 + Next(1000), stop);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Random bytes on a vhost-user socket instead of a frontend's messages.</summary>
    private async Task VhostUserJunkAsync(CancellationToken stop)
    {
        await using var frontend = await VhostUserFrontend.OpenAsync(SocketOf("h-vhostjunk"), cancellationToken: stop);
        var junk = Next(3) == 0
            ? [.. BitConverter.GetBytes(Next(40)), .. BitConverter.GetBytes(1u), .. BitConverter.GetBytes(0x7FFF_FFFFu), .. RandomBytes(64)] // a header announcing a huge payload
            : RandomBytes(400);
        frontend.Channel.SendRaw(junk);
        frontend.Channel.Socket.Shutdown(SocketShutdown.Send);
        try
        {
            while (await frontend.Channel.ReceiveAsync(stop) is { } reply)
                reply.Dispose();
        }
        catch (VhostUserProtocolException)
        {
            // closed with unread data
        }
    }

    /// <summary>Guest memory whose file can shrink: the daemon must refuse the memory table.</summary>
    private async Task UnsealedMemoryAsync(CancellationToken stop)
    {
        try
        {
            await using var frontend = await VhostUserFrontend.ConnectAsync(SocketOf("h-unsealed"), new VhostUserFrontendOptions { SealMemory = false, QueueSize = 16 }, stop);
            Interlocked.Increment(ref tally.UnsealedAccepted);
        }
        catch (Exception e) when (e is VhostUserProtocolException or SocketException or IOException)
        {
            // refused (a NACK of SET_MEM_TABLE, then the connection closed)
        }
    }
}
