using System.Security.Cryptography;
using System.Text;
using Vscmi.Platform.Model;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// The state file: what agents changed comes back in a new platform; a torn, altered, foreign or
/// out-of-range file is refused with a reason and changes nothing; random bytes never throw.
/// </summary>
public sealed class StateFileTests
{
    /// <summary>A platform whose agents changed things through ordinary commands.</summary>
    private static Harness Changed()
    {
        var h = new Harness();
        h.Ok(ClockMessageId.CLOCK_RATE_SET, ("clock_id", 1u), ("rate", 800_000_000UL));
        h.Ok(ClockMessageId.CLOCK_CONFIG_SET, ("clock_id", 3u), ("state", 0u), ("extended_config_val", 0u));
        h.Ok(PerfMessageId.PERFORMANCE_LIMITS_SET, ("domain_id", 0u), ("range_max", 1500u), ("range_min", 800u));
        h.Ok(SensorMessageId.SENSOR_TRIP_POINT_CONFIG, ("sensor_id", 0u), ("direction", 1u), ("trip_point_id", 1u), ("trip_point_value", 70_000L));
        h.Ok(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 2u), ("device_id", 0u), ("allow", 0u));
        return h;
    }

    private static byte[] WithChecksum(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return [.. body, .. Encoding.ASCII.GetBytes($"\nsha256 {Convert.ToHexStringLower(SHA256.HashData(body))}\n")];
    }

    [Fact]
    public void What_agents_changed_comes_back_in_a_new_platform()
    {
        var before = Changed();
        var file = before.Platform.SaveState();
        var after = new Harness();
        Assert.NotEqual(file, after.Platform.SaveState());

        Assert.Null(after.Platform.RestoreState(file));

        Assert.Equal(file, after.Platform.SaveState());
        Assert.Equal(800_000_000UL, after.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1u)).GetUInt64("rate"));
        Assert.Equal(1500UL, after.Ok(PerfMessageId.PERFORMANCE_LIMITS_GET, ("domain_id", 0u)).GetUInt64("range_max"));
        var guest = new Harness(after.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4u))); // uart0, in device 0
    }

    public static TheoryData<string> Damages() => ["torn", "flipped byte", "no checksum", "empty", "checksum of other bytes"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_file_is_refused_with_a_reason_and_changes_nothing(string damage)
    {
        var file = Changed().Platform.SaveState();
        byte[] damaged = damage switch
        {
            "torn" => file[..(file.Length / 2)],
            "flipped byte" => [.. file[..40], (byte)(file[40] ^ 0x20), .. file[41..]],
            "no checksum" => file[..Array.LastIndexOf(file, (byte)'s')],
            "empty" => [],
            _ => WithChecksum("{\"format\":1}")[..^5],
        };
        var fresh = new Harness();
        var defaults = fresh.Platform.SaveState();

        var reason = fresh.Platform.RestoreState(damaged);

        Assert.NotNull(reason);
        Assert.True(reason.Contains("torn", StringComparison.Ordinal) || reason.Contains("checksum", StringComparison.Ordinal), reason);
        Assert.Equal(defaults, fresh.Platform.SaveState());
    }

    [Fact]
    public void A_file_of_another_model_or_with_a_value_out_of_range_is_refused_whole()
    {
        var file = Encoding.UTF8.GetString(Changed().Platform.SaveState());
        var json = file[..file.LastIndexOf("\nsha256", StringComparison.Ordinal)];
        var fresh = new Harness();
        var defaults = fresh.Platform.SaveState();

        var foreign = fresh.Platform.RestoreState(WithChecksum(json.Replace($"\"model\": \"{Vscmi.Platform.State.StateFile.Fingerprint(fresh.Platform.Model)}\"", "\"model\": \"0123456789abcdef\"", StringComparison.Ordinal)));
        Assert.Contains("belongs to another model", foreign, StringComparison.Ordinal);

        // A perf level far above the domain's highest OPP: named, and nothing else applied either.
        var outOfRange = fresh.Platform.RestoreState(WithChecksum(json.Replace("\"cap_ceiling\"", "\"level\": 999999999, \"cap_ceiling\"", StringComparison.Ordinal)));
        Assert.NotNull(outOfRange);
        Assert.Equal(defaults, fresh.Platform.SaveState());

        var wrongCount = fresh.Platform.RestoreState(WithChecksum(json.Replace("\"votes\": [", "\"votes\": [true, ", StringComparison.Ordinal)));
        Assert.Contains("votes for 3 agents", wrongCount, StringComparison.Ordinal);
        Assert.Equal(defaults, fresh.Platform.SaveState());
    }

    [Fact]
    public void Random_bytes_are_refused_never_thrown()
    {
        var fresh = new Harness();
        var random = new Random(1419);
        var file = Changed().Platform.SaveState();
        for (var i = 0; i < 500; i++)
        {
            var bytes = i % 2 == 0 ? new byte[random.Next(0, 600)] : (byte[])file.Clone();
            if (i % 2 == 0)
                random.NextBytes(bytes);
            else
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            Assert.NotNull(fresh.Platform.RestoreState(bytes));
        }
    }

    [Fact]
    public void The_keeper_writes_atomically_and_sets_a_refused_file_aside()
    {
        var directory = Directory.CreateTempSubdirectory("vscmi-state-").FullName;
        try
        {
            var path = Path.Combine(directory, "state.json");
            var changed = Changed();
            var synced = new List<string>();
            using (var keeper = new Vscmi.Platform.State.StateKeeper(changed.Platform, path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance) { SyncDirectory = synced.Add })
            {
                Assert.False(keeper.Restore());
                Assert.True(keeper.SaveNow());
                Assert.Equal([directory], synced); // the rename made durable, once the file is in place
                Assert.True(File.Exists(path));
                Assert.False(keeper.SaveNow()); // unchanged: not written again
                Assert.Single(synced);
            }

            Assert.False(File.Exists(path + ".tmp"));
            var fresh = new Harness();
            using (var keeper = new Vscmi.Platform.State.StateKeeper(fresh.Platform, path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
                Assert.True(keeper.Restore());
            Assert.Equal(800_000_000UL, fresh.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 1u)).GetUInt64("rate"));

            File.WriteAllText(path, "{ torn");
            var third = new Harness();
            using (var keeper = new Vscmi.Platform.State.StateKeeper(third.Platform, path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
            {
                Assert.False(keeper.Restore());
                Assert.False(File.Exists(path));
            }

            // Set aside for a person to look at; the keeper's last write is the defaults it served.
            Assert.Equal("{ torn", File.ReadAllText(Assert.Single(Directory.GetFiles(directory, "state.json.refused-*"))));
            Assert.Null(new Harness().Platform.RestoreState(File.ReadAllBytes(path)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_daemon_part_is_read_back_only_from_a_whole_file()
    {
        var h = new Harness();
        var file = h.Platform.SaveState(w =>
        {
            w.WriteStartArray("vms");
            w.WriteStringValue("x");
            w.WriteEndArray();
        });
        Assert.Equal("x", Vscmi.Platform.State.StateFile.ReadDaemonPart(file)!.Value.GetProperty("vms")[0].GetString());
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(file.AsSpan(0, file.Length - 10)));
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(h.Platform.SaveState()));
        var flipped = (byte[])file.Clone();
        flipped[20] ^= 1;
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(flipped));
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(WithChecksum("[1]")));
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(WithChecksum("{\"daemon\": 3}")));
        Assert.Null(Vscmi.Platform.State.StateFile.ReadDaemonPart(WithChecksum("{\"daemon\": ")));
        Assert.Null(h.Platform.RestoreState(file)); // a restore ignores the daemon's part
    }
}
