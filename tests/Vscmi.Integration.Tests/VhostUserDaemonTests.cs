using System.Buffers.Binary;
using System.Globalization;
using Vscmi.Agent;
using Vscmi.Linux;
using Vscmi.Protocol;
using Vscmi.VhostUser;
using Vscmi.Virtio;

namespace Vscmi.Integration.Tests;

/// <summary>
/// One <c>vscmi serve</c> daemon with three VMs (vhost-user sockets for OSPM, guest and sandbox).
/// Out-of-order completion, the eventq, reconnects, and hostile frontends and drivers — after
/// each, the daemon still serves the other VMs and the same socket again.
/// </summary>
public sealed class VhostUserDaemonTests : IAsyncLifetime
{
    private ServeProcess _serve = null!;

    private string Ospm => _serve.PathOf("ospm.vm");

    private string Guest => _serve.PathOf("guest.vm");

    private string Sandbox => _serve.PathOf("sandbox.vm");

    public async Task InitializeAsync() =>
        _serve = await ServeProcess.StartAsync("--vhost-user", "OSPM={dir}/ospm.vm", "--vhost-user", "guest={dir}/guest.vm", "--vhost-user", "sandbox={dir}/sandbox.vm");

    public async Task DisposeAsync() => await _serve.DisposeAsync();

    private static async Task<ScmiClient> Connect(string path, VhostUserFrontendOptions? options = null) =>
        new(await VhostUserTransport.ConnectAsync(path, options));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Delayed_commands_do_not_hold_up_the_queue_behind_them(bool indirect)
    {
        // A model whose pll_big takes 1 s (the most a model may say) to change rate: the queue must go on meanwhile.
        var (_, model, _) = CliProcess.Run("config", "show");
        var config = Path.Combine(Path.GetTempPath(), $"vscmi-slow-{Guid.NewGuid():N}.toml");
        File.WriteAllText(config, model.Replace("async_latency_us = 2000 ", "async_latency_us = 1000000 ", StringComparison.Ordinal));
        try
        {
            await using var serve = await ServeProcess.StartAsync("--config", config, "--vhost-user", "OSPM={dir}/slow.vm");
            await using var client = new ScmiClient(
                await VhostUserTransport.ConnectAsync(serve.PathOf("slow.vm"), new VhostUserFrontendOptions { UseIndirect = indirect }),
                new ScmiClientOptions { DelayedResponseTimeout = TimeSpan.FromSeconds(30) });

            var slow = client.Clock.SetRateAndWaitAsync(2, 1_000_000_000);
            var fast = Enumerable.Range(0, 60).Select(i => client.Sensor.ReadAsync((uint)(i % 6))).ToList();
            await Task.WhenAll(fast);
            Assert.False(slow.IsCompleted, "the delayed response came before the 60 commands queued behind it were answered");
            Assert.Equal(1_000_000_000UL, await slow);
            Assert.Equal(1_000_000_000UL, await client.Clock.GetRateAsync(2));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Notifications_reach_a_VM_on_its_eventq()
    {
        await using var ospm = await Connect(Ospm);
        await using var guest = await Connect(Guest);
        await guest.Clock.NotifyRateAsync(3, true);
        await ospm.Clock.SetRateAsync(3, 400_000_000);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var notification in guest.ReadNotificationsAsync(timeout.Token))
        {
            Assert.Equal(ScmiProtocolId.CLOCK, (ScmiProtocolId)notification.Header.ProtocolId);
            Assert.Equal(400_000_000UL, notification.Fields.GetUInt64("rate"));
            break;
        }
    }

    [Fact]
    public async Task A_VM_whose_call_fd_is_a_full_blocking_pipe_does_not_stall_the_VM_that_notifies_it()
    {
        // Notifications are delivered on the producer's thread (ospm's, under the platform's lock)
        // when the recipient's device is free; the recipient's call fd is the peer's, so a hostile
        // frontend can hand over a full pipe. The daemon makes such fds non-blocking: the write
        // fails instead of holding the platform forever.
        await using var ospm = await Connect(Ospm);
        var transport = await VhostUserTransport.ConnectAsync(Guest);
        await using var guest = new ScmiClient(transport);
        await guest.Clock.NotifyRateAsync(3, true);
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        pipe.Write(new byte[65536]); // a pipe holds 64 KiB: now full, and blocking
        using var writeEnd = new FileDescriptor((int)pipe.SafePipeHandle.DangerousGetHandle());
        pipe.SafePipeHandle.SetHandleAsInvalid();
        await transport.Frontend.RequestAsync(VhostUserRequest.SET_VRING_CALL, VhostUserFrontend.U64(VirtioScmiDevice.EventQueue), [writeEnd], needReply: true);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 10; i++)
        {
            await ospm.Clock.SetRateAsync(3, i % 2 == 0 ? 400_000_000UL : 200_000_000UL, cancellationToken: timeout.Token);
            Assert.Equal(i % 2 == 0 ? 400_000_000UL : 200_000_000UL, await ospm.Clock.GetRateAsync(3, timeout.Token));
        }

        await using var sandbox = await Connect(Sandbox);
        Assert.NotEqual(0u, await sandbox.Base.GetVersionAsync(timeout.Token));
    }

    [Fact]
    public async Task Guest_memory_that_can_shrink_is_refused_so_a_truncating_frontend_cannot_crash_the_daemon()
    {
        // An unsealed memfd: the frontend could truncate it under the daemon's mapping (SIGBUS).
        var frontend = await VhostUserFrontend.OpenAsync(Guest, new VhostUserFrontendOptions { SealMemory = false });
        await using (frontend)
        {
            await frontend.NegotiateAsync();
            var e = await Assert.ThrowsAsync<VhostUserProtocolException>(() => frontend.StartAsync());
            Assert.Contains("SET_MEM_TABLE", e.Message, StringComparison.Ordinal);
            using var file = new FileStream($"/proc/self/fd/{frontend.MemoryFile.Value}", FileMode.Open, FileAccess.ReadWrite);
            file.SetLength(0); // the hostile part: nothing of it is mapped in the daemon
        }

        await Poll.Until(() => _serve.Output.Contains("can shrink (no F_SEAL_SHRINK)", StringComparison.Ordinal), "the refusal in the log");
        await using var guest = await Connect(Guest);
        await using var ospm = await Connect(Ospm);
        Assert.NotEqual(0u, await guest.Base.GetVersionAsync());
        Assert.NotEqual(0u, await ospm.Base.GetVersionAsync());
    }

    [Fact]
    public async Task Unsealed_guest_memory_is_served_with_a_warning_when_the_model_allows_it()
    {
        using var model = TempModel.WithAgentLine("guest", "allow_unsealed_memory = true");
        await using var serve = await ServeProcess.StartAsync("--config", model.Path, "--vhost-user", "guest={dir}/guest.vm", "--vhost-user", "sandbox={dir}/sandbox.vm");
        await using (var guest = new ScmiClient(await VhostUserTransport.ConnectAsync(serve.PathOf("guest.vm"), new VhostUserFrontendOptions { SealMemory = false })))
            Assert.NotEqual(0u, await guest.Base.GetVersionAsync());
        await Poll.Until(() => serve.Output.Contains("served because agent guest has allow_unsealed_memory", StringComparison.Ordinal), "the warning in the log");

        // Another agent of the same daemon still needs sealed memory.
        var sandbox = await VhostUserFrontend.OpenAsync(serve.PathOf("sandbox.vm"), new VhostUserFrontendOptions { SealMemory = false });
        await using (sandbox)
        {
            await sandbox.NegotiateAsync();
            await Assert.ThrowsAsync<VhostUserProtocolException>(() => sandbox.StartAsync());
        }
    }

    [Fact]
    public async Task A_VM_reconnecting_100_times_is_served_each_time_and_the_daemon_does_not_grow()
    {
        async Task Cycle()
        {
            try
            {
                await using var client = await Connect(Guest);
                Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);
                await client.Clock.NotifyRateAsync(3, true); // state the reset must drop
            }
            catch (ScmiClientException e)
            {
                Assert.Fail($"{e.Message}\n--- daemon ---\n{string.Join('\n', _serve.Output.Split('\n').TakeLast(30))}");
            }
        }

        // Footprints are taken once the daemon has logged the disconnects, not after a fixed sleep.
        // The runtime's own descriptors (timers, thread pool, epoll) come and go by a few, so the
        // "after" count is awaited (bounded) until it is back at the "before" count: a real leak
        // of 100 reconnects never gets there.
        // The log writes 20 lines per agent and event per 10 s and sums up the rest when the window
        // ends (a reconnect storm cannot flood the journal), so the count includes those sums.
        int Disconnects()
        {
            var output = _serve.Output;
            return System.Text.RegularExpressions.Regex.Count(output, @"guest\.vm#\d+: frontend of agent guest disconnected")
                + System.Text.RegularExpressions.Regex.Matches(output, @"\[412\] (\d+) more line\(s\) about agent guest").Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        for (var i = 0; i < 10; i++)
            await Cycle();
        await Poll.Until(() => Disconnects() >= 10, "10 disconnects logged");
        var (fdsBefore, rssBefore) = Footprint();
        for (var i = 0; i < 100; i++)
            await Cycle();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Disconnects() < 110 && waited.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(50); // up to a log window (10 s) for the sum of the lines held back
        Assert.Equal(110, Disconnects());
        var fdsAfter = 0;
        for (var i = 0; i < 100 && (fdsAfter = Footprint().Fds) > fdsBefore; i++)
            await Task.Delay(50);
        var (_, rssAfter) = Footprint();

        Assert.True(fdsAfter <= fdsBefore, $"open fds grew from {fdsBefore} to {fdsAfter} (and stayed there for 5 s)");
        Assert.True(rssAfter - rssBefore < 32 * 1024, $"resident memory grew from {rssBefore} KiB to {rssAfter} KiB over 100 reconnects");
        await AssertServed(Guest);
        await AssertServed(Ospm);
    }

    [Fact]
    public async Task A_stopped_and_restarted_device_continues_from_where_the_rings_were()
    {
        var transport = await VhostUserTransport.ConnectAsync(Guest);
        await using (var client = new ScmiClient(transport))
        {
            Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);
        }

        // A fresh frontend: QEMU's reset path (GET_VRING_BASE on both rings) then a new start.
        await using (var frontend = await VhostUserFrontend.ConnectAsync(Guest))
        {
            var (commands, events) = await frontend.StopAsync();
            Assert.Equal(0, commands);
            Assert.Equal(0, events);
        }

        await AssertServed(Guest);
    }

    [Fact]
    public async Task Rings_addressed_before_the_memory_table_start_when_it_arrives()
    {
        // The frontend's ring addresses are translated to guest-physical ones when a table can do it.
        await using var frontend = await VhostUserFrontend.ConnectAsync(Guest, new VhostUserFrontendOptions { MemoryTableLast = true });
        await using var client = new ScmiClient(await TransportOver(frontend));
        Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);
    }

    [Fact]
    public async Task A_ring_address_in_no_memory_region_is_refused_and_breaks_only_that_device()
    {
        await using (var frontend = await VhostUserFrontend.OpenAsync(Guest))
        {
            await frontend.NegotiateAsync();
            await frontend.SendMemoryTableAsync();
            await frontend.RequestAsync(VhostUserRequest.SET_VRING_ERR, VhostUserFrontend.U64(0), [frontend.Errors.Descriptor], needReply: true);
            var nowhere = new VringAddress(0, 0, 0x1000, 0x2000, 0x3000, 0); // frontend addresses below every region
            var e = await Assert.ThrowsAsync<VhostUserProtocolException>(() => frontend.RequestAsync(VhostUserRequest.SET_VRING_ADDR, nowhere.ToArray(), needReply: true));
            Assert.Contains("refused", e.Message, StringComparison.Ordinal);
            await Poll.Until(() => _serve.Output.Contains("descriptor table at frontend address 0x1000 is in no memory region", StringComparison.Ordinal), "the daemon to say why");
            await Poll.Until(() => frontend.Errors.Consume() > 0, "the error eventfd");
        }

        await AssertServed(Guest);
        await AssertServed(Ospm);
    }

    [Fact]
    public async Task A_second_frontend_on_a_VM_socket_in_use_is_refused_at_once()
    {
        await using var vm = await Connect(Guest);
        var second = Assert.ThrowsAnyAsync<Exception>(() => Connect(Guest));
        Assert.Same(second, await Task.WhenAny(second, Task.Delay(5000)));
        await second;
        await Poll.Until(() => _serve.Output.Contains("another frontend is connected", StringComparison.Ordinal), "the daemon's log line"); // logs arrive asynchronously
        Assert.Equal("vscmi", (await vm.Base.DiscoverAsync()).Vendor);
    }

    [Fact]
    public void Bench_drives_a_VM_socket_through_the_frontend_in_its_own_process()
    {
        var (code, json, stderr) = CliProcess.Run("bench", "--connect", "vhost-user:" + Guest, "--command", "SENSOR_READING_GET", "--inflight", "16", "--duration", "0.5", "--json");
        Assert.True(code == 0, stderr);
        using var result = System.Text.Json.JsonDocument.Parse(json);
        Assert.True(result.RootElement.GetProperty("messages").GetInt64() > 100);
        Assert.Equal(0, result.RootElement.GetProperty("errors").GetInt64());
    }

    public static TheoryData<string> HostileDrivers() => [.. HostileRings.Kinds];

    [Theory]
    [MemberData(nameof(HostileDrivers))]
    public async Task A_hostile_driver_breaks_only_its_own_device(string scenario)
    {
        await using (var frontend = await VhostUserFrontend.ConnectAsync(Guest, new VhostUserFrontendOptions { QueueSize = 64 }))
        {
            var q = frontend.CommandQueue!;
            var expectBroken = HostileRings.Break(frontend, scenario);
            if (expectBroken)
            {
                await Poll.Until(() => _serve.Output.Contains("device marked broken", StringComparison.Ordinal), "the daemon to log the broken device");
                await Poll.Until(() => frontend.Errors.Consume() > 0, "the error eventfd");
            }
            else
            {
                await Poll.Until(() => q.TryTakeUsed(out _, out var length) && length == 0, "an empty used entry");
            }
        }

        await AssertServed(Ospm);
        await AssertServed(Guest);
    }

    [Fact]
    public async Task Garbage_on_the_control_socket_closes_that_connection_only()
    {
        await using var ospm = await Connect(Ospm);
        foreach (var garbage in new[]
        {
            Enumerable.Repeat((byte)0xFF, 64).ToArray(),               // version bits 3
            Header(1, 0x1, 1_000_000),                                // oversized payload
            Header(999, 0x1, 0),                                      // unknown request, then garbage below
        })
        {
            await using var frontend = await VhostUserFrontend.OpenAsync(Guest);
            frontend.Channel.SendRaw(garbage);
            frontend.Channel.SendRaw(Enumerable.Repeat((byte)0x42, 11).ToArray());
            frontend.Channel.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await frontend.Channel.ReceiveAsync(timeout.Token) is { } reply)
                    reply.Dispose(); // the backend may answer or close; either way this connection ends
            }
            catch (VhostUserProtocolException)
            {
                // Closed with unread data: a reset, also an end.
            }

            Assert.Equal("vscmi", (await ospm.Base.DiscoverAsync()).Vendor);
        }

        await AssertServed(Guest);
    }

    [Fact]
    public async Task Refused_requests_are_NACKed_and_the_connection_goes_on()
    {
        await using var frontend = await VhostUserFrontend.OpenAsync(Guest);
        using var stray = new EventFd();
        using var memfd = MemFd.Create("short", 4096);
        var refusals = new (VhostUserRequest Request, byte[] Payload, FileDescriptor[] Fds)[]
        {
            (VhostUserRequest.SET_OWNER, [], [stray.Descriptor]),                                   // an fd where none may be
            (VhostUserRequest.SET_FEATURES, [1, 2, 3], []),                                         // wrong payload size
            (VhostUserRequest.SET_VRING_NUM, new VringState(5, 256).ToArray(), []),             // no such ring
            (VhostUserRequest.SET_VRING_NUM, new VringState(0, 100).ToArray(), []),             // not a power of two
            (VhostUserRequest.SET_VRING_KICK, VhostUserFrontend.U64(0), []),                        // fd promised, none sent
            (VhostUserRequest.SET_VRING_CALL, VhostUserFrontend.U64(0x100), [stray.Descriptor]),    // "no fd" with an fd
            (VhostUserRequest.SET_MEM_TABLE, MemTable(0x4000_0000, 1 << 20), [memfd]),              // file shorter than the region
            (VhostUserRequest.SET_MEM_TABLE, MemTable(0x4000_0000, 4096), []),                      // region without its fd
            (VhostUserRequest.SET_VRING_ENABLE, new VringState(0, 7).ToArray(), []),           // neither 0 nor 1
            (VhostUserRequest.SET_CONFIG, new byte[12], []),                                        // not offered
            ((VhostUserRequest)77, [], []),                                                         // no such request
        };
        foreach (var (request, payload, fds) in refusals)
        {
            var e = await Assert.ThrowsAsync<VhostUserProtocolException>(() => frontend.RequestAsync(request, payload, fds, needReply: true));
            Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        }

        // A ring that never ran gives back the base it was given.
        await frontend.RequestAsync(VhostUserRequest.SET_VRING_BASE, new VringState(1, 77).ToArray(), needReply: true);
        Assert.Equal(new VringState(1, 77), VringState.FromUInt64((await frontend.RequestAsync(VhostUserRequest.GET_VRING_BASE, new VringState(1, 0).ToArray()))!.Value));

        // Kicks before any setup: nothing happens, nothing breaks.
        await frontend.RequestAsync(VhostUserRequest.SET_VRING_KICK, VhostUserFrontend.U64(0), [frontend.Kicks[0].Descriptor], needReply: true);
        frontend.Kicks[0].Signal();
        frontend.Kicks[0].Signal();

        // The same connection then sets up normally and serves.
        await frontend.NegotiateAsync();
        await frontend.StartAsync();
        await using var client = new ScmiClient(await TransportOver(frontend));
        Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);
        // Each refusal is logged with its kind and the offending value.
        foreach (var line in new[]
        {
            "refused (Descriptors): SET_OWNER may not carry file descriptors (1 attached, closed)",
            "refused (PayloadSize): SET_FEATURES needs a 8-byte payload, got 3",
            "refused (NoSuchRing): ring 5 does not exist (virtio-scmi has 2)",
            "refused (BadValue): ring size 100 is not a power of two",
            "refused (Descriptors): SET_MEM_TABLE describes 1 regions but carries 0 descriptors",
            "refused (BadValue): SET_VRING_ENABLE with 7; only 0 and 1 mean anything",
            "refused (Unsupported): SET_CONFIG (25) is not supported by the SCMI backend",
        })
        {
            await Poll.Until(() => _serve.Output.Contains(line, StringComparison.Ordinal), line);
        }
    }

    [Fact]
    public async Task Random_vhost_user_messages_never_take_the_daemon_down()
    {
        var random = new Random(20);
        using var stray = new EventFd();
        for (var connection = 0; connection < 20; connection++)
        {
            await using var frontend = await VhostUserFrontend.OpenAsync(Guest);
            try
            {
                for (var i = 0; i < 40; i++)
                {
                    var payload = new byte[random.Next(4) switch { 0 => 0, 1 => 8, 2 => 40, _ => random.Next(64) }];
                    random.NextBytes(payload);
                    var flags = random.Next(8) == 0 ? (uint)random.Next() : VhostUserWire.Version | (uint)(random.Next(2) * 8);
                    var header = Header((uint)random.Next(48), flags, (uint)payload.Length);
                    FileDescriptor[] fds = random.Next(6) == 0 ? [stray.Descriptor] : [];
                    frontend.Channel.SendRaw([.. header, .. payload], fds);
                }
            }
            catch (VhostUserProtocolException)
            {
                // The backend closed this connection on broken framing: expected for some inputs.
            }

            await frontend.DisposeAsync();
            await AssertServed(Guest); // the same socket serves the next VM properly
        }

        Assert.True(!_serve.Output.Contains("Unhandled exception", StringComparison.Ordinal), _serve.Output);
        await AssertServed(Ospm);
    }

    [Fact]
    public async Task A_new_memory_table_while_running_and_device_resets_are_followed()
    {
        var frontend = await VhostUserFrontend.ConnectAsync(Guest);
        await using var client = new ScmiClient(VhostUserTransport.Over(frontend));
        Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);

        // Memory hotplug: QEMU sends the table again while the rings run.
        await frontend.SendMemoryTableAsync();
        Assert.Equal(0x20001u, await client.Base.GetVersionAsync());
        await Poll.Until(() => _serve.Output.Contains("guest memory: 1 regions", StringComparison.Ordinal), "guest memory: 1 regions");

        // SET_STATUS(0) and RESET_DEVICE end the session: the output shows it closed twice.
        var closed = CountOf(_serve.Output, "session closed");
        await frontend.RequestAsync(VhostUserRequest.SET_STATUS, VhostUserFrontend.U64(0), needReply: true);
        Assert.Equal(0UL, await frontend.RequestAsync(VhostUserRequest.GET_STATUS, []));
        await Poll.Until(() => CountOf(_serve.Output, "session closed") == closed + 1, "the session to close on SET_STATUS 0");
        await frontend.RequestAsync(VhostUserRequest.RESET_DEVICE, [], needReply: true);
        Assert.Equal(closed + 1, CountOf(_serve.Output, "session closed")); // nothing left to close
    }

    private static int CountOf(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private static Task<VhostUserTransport> TransportOver(VhostUserFrontend frontend) =>
        Task.FromResult(VhostUserTransport.Over(frontend));

    private static byte[] Header(uint request, uint flags, uint size)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, request);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), size);
        return bytes;
    }

    private static byte[] MemTable(ulong guestPhysical, ulong size)
    {
        var table = new byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(table, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(8), guestPhysical);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(16), size);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(24), guestPhysical + VhostUserFrontend.UserAddressOffset);
        return table;
    }

    private static async Task AssertServed(string path)
    {
        await using var client = await Connect(path);
        Assert.Equal("vscmi", (await client.Base.DiscoverAsync()).Vendor);
    }

    private (int Fds, long RssKiB) Footprint()
    {
        var pid = _serve.ProcessId.ToString(CultureInfo.InvariantCulture);
        var fds = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var rss = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return (fds, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
    }
}
