using System.Buffers.Binary;
using System.Diagnostics;
using Vscmi.Platform;
using Vscmi.Platform.Model;

namespace Vscmi.Integration.Tests;

/// <summary>
/// A sysfs attribute whose read never returns (a stuck driver; here a FIFO nobody writes) stalls
/// neither commands nor the next refreshes: agents get the last values, the stuck read is not
/// joined by another each period, and the value arrives once the read returns.
/// </summary>
public sealed class HungHostReadTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"vscmi-hung-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_hung_sysfs_read_stalls_no_command()
    {
        var chip = Path.Combine(_root, "class", "hwmon", "hwmon0");
        Directory.CreateDirectory(chip);
        await File.WriteAllTextAsync(Path.Combine(chip, "name"), "chip\n");
        var fifo = Path.Combine(chip, "temp1_input");
        using (var mkfifo = Process.Start("mkfifo", fifo))
            await mkfifo.WaitForExitAsync();
        var model = ModelLoader.Load($$"""
            [host]
            sysfs = "{{_root}}"
            [platform]
            vendor = "t"
            [[agent]]
            name = "a"
            [[sensor]]
            name = "t"
            source = { kind = "hwmon", chip = "chip", channel = "temp1" }
            """, "hung.toml");
        var platform = new ScmiPlatform(model);
        var session = platform.OpenSession(1);

        // Two periods' refreshes: one blocks in open(2) of the FIFO, the other must return at once,
        // skipped (whichever the thread pool starts first).
        var refreshes = new[] { Task.Run(() => platform.RefreshHost(force: true)), Task.Run(() => platform.RefreshHost(force: true)) };
        var skipped = await Task.WhenAny(refreshes).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(await skipped);
        var stuck = refreshes.Single(r => r != skipped);
        await Task.Delay(200);
        Assert.False(stuck.IsCompleted);
        Assert.Equal((-9, 0L), Read(platform, session));  // answered at once: HARDWARE_ERROR (-9), never read

        // The driver answers: a writer opens the FIFO (which also lets the reader's open return).
        var write = Task.Run(async () =>
        {
            await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await writer.WriteAsync("42000\n"u8.ToArray());
        });
        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await stuck.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((0, 42000L), Read(platform, session));
    }

    /// <summary>SENSOR_READING_GET of sensor 0, synchronous: (status, first value).</summary>
    private static (int Status, long Value) Read(ScmiPlatform platform, AgentSession session)
    {
        var request = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(request, 0x6u | (0x15u << 10) | (1u << 18));
        var reply = new byte[session.ReplyBufferSize];
        var length = platform.Handle(session, request, reply);
        var status = BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4));
        return (status, length >= 16 ? BinaryPrimitives.ReadInt64LittleEndian(reply.AsSpan(8)) : 0);
    }
}
