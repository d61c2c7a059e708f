using System.Buffers.Binary;
using System.Diagnostics;
using Vscmi.Platform.Injection;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.Tests;

/// <summary>
/// Faults injected into a platform's answers (docs/scenarios.md): each kind at the platform
/// level, what it matches, how often it applies (a count, a seeded probability), and that the
/// platform goes back to normal when it is used up or cleared.
/// </summary>
public sealed class FaultInjectionTests
{
    private static readonly byte[] RateGet = BaseAndDispatchTests.Words(0x00005006, 3);

    private static (ScmiPlatform Platform, AgentSession Ospm, AgentSession Guest) Platform()
    {
        var platform = new ScmiPlatform(ModelLoader.LoadDefault());
        return (platform, platform.OpenSession(1), platform.OpenSession(2));
    }

    private static int Status(ScmiPlatform platform, AgentSession session, byte[] request, out int length)
    {
        var reply = new byte[session.ReplyBufferSize];
        length = platform.Handle(session, request, reply);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(request), BinaryPrimitives.ReadUInt32LittleEndian(reply));
        return BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4));
    }

    [Fact]
    public void A_status_fault_answers_its_status_for_its_count_then_the_platform_answers_again()
    {
        var (platform, ospm, _) = Platform();
        platform.Faults.Add(new FaultSpec(FaultKind.Status, Agent: "OSPM", Protocol: 0x14, Message: 0x06) { Status = ScmiStatus.BUSY, Count = 3 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((int)ScmiStatus.BUSY, Status(platform, ospm, RateGet, out var length));
            Assert.Equal(8, length);
        }

        Assert.Equal(0, Status(platform, ospm, RateGet, out var normal));
        Assert.Equal(16, normal);
        var listed = Assert.Single(platform.Faults.List());
        Assert.Equal(3, listed.Applied);
        Assert.Equal(0, listed.Remaining);
    }

    [Fact]
    public void A_fault_matches_only_its_agent_protocol_and_message()
    {
        var (platform, ospm, guest) = Platform();
        platform.Faults.Add(new FaultSpec(FaultKind.Status, Agent: "guest", Protocol: 0x14, Message: 0x06) { Status = ScmiStatus.HARDWARE_ERROR });
        Assert.Equal(0, Status(platform, ospm, RateGet, out _));                                                          // another agent
        Assert.Equal(0, Status(platform, guest, BaseAndDispatchTests.Words(0x00005003, 0), out _));                       // another message
        Assert.Equal(0, Status(platform, guest, BaseAndDispatchTests.Words(0x00004000), out _));                          // another protocol
        Assert.Equal((int)ScmiStatus.HARDWARE_ERROR, Status(platform, guest, BaseAndDispatchTests.Words(0x00005006, 0), out _));
    }

    [Fact]
    public void A_seeded_probability_gives_the_same_sequence_every_run()
    {
        static string Run(int seed)
        {
            var (platform, ospm, _) = Platform();
            platform.Faults.Add(new FaultSpec(FaultKind.Status) { Status = ScmiStatus.GENERIC_ERROR, Probability = 0.3, Seed = seed });
            return string.Concat(Enumerable.Range(0, 200).Select(_ => Status(platform, ospm, RateGet, out _) == 0 ? '.' : 'x'));
        }

        var first = Run(42);
        Assert.Equal(first, Run(42));
        Assert.NotEqual(first, Run(43));
        var hits = first.Count(c => c == 'x');
        Assert.InRange(hits, 30, 90); // about 60 of 200
    }

    [Fact]
    public void A_drop_fault_answers_nothing_and_the_next_command_is_answered()
    {
        var (platform, ospm, _) = Platform();
        platform.Faults.Add(new FaultSpec(FaultKind.Drop, Protocol: 0x14) { Count = 1 });
        var reply = new byte[ospm.ReplyBufferSize];
        Assert.Equal(0, platform.Handle(ospm, RateGet, reply));
        Assert.Equal(16, platform.Handle(ospm, RateGet, reply));
        Assert.Equal(0, ospm.InFlight);
    }

    [Fact]
    public void A_delay_fault_answers_correctly_after_its_delay()
    {
        var (platform, ospm, _) = Platform();
        platform.Faults.Add(new FaultSpec(FaultKind.Delay, Agent: "OSPM") { Delay = TimeSpan.FromMilliseconds(150), Count = 1 });
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, Status(platform, ospm, RateGet, out var length));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(140), $"answered after {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(16, length);
    }

    [Fact]
    public void Clearing_a_fault_restores_normal_answers()
    {
        var (platform, ospm, _) = Platform();
        var id = platform.Faults.Add(new FaultSpec(FaultKind.Status) { Status = ScmiStatus.DENIED });
        Assert.Equal((int)ScmiStatus.DENIED, Status(platform, ospm, RateGet, out _));
        Assert.True(platform.Faults.Remove(id));
        Assert.False(platform.Faults.Remove(id));
        Assert.False(platform.Faults.Active);
        Assert.Equal(0, Status(platform, ospm, RateGet, out _));
    }

    [Theory]
    [InlineData(FaultKind.Status, 0, 1.0, 0, 0, "count 0")]
    [InlineData(FaultKind.Status, null, 0.0, 0, 0, "probability 0")]
    [InlineData(FaultKind.Status, null, 1.5, 0, 0, "probability 1.5")]
    [InlineData(FaultKind.Delay, null, 1.0, -1, 0, "delay -1 ms")]
    [InlineData(FaultKind.Delay, null, 1.0, 25_000, 10_000, "at most 30 s")]
    public void An_invalid_fault_is_refused_naming_the_value(FaultKind kind, int? count, double probability, int delayMs, int jitterMs, string expected)
    {
        var spec = new FaultSpec(kind) { Count = count, Probability = probability, Delay = TimeSpan.FromMilliseconds(delayMs), Jitter = TimeSpan.FromMilliseconds(jitterMs) };
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => new FaultInjector().Add(spec)).Message, StringComparison.Ordinal);
        Assert.Contains("SUCCESS", new FaultSpec(FaultKind.Status) { Status = ScmiStatus.SUCCESS }.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_no_fault_handling_still_allocates_nothing()
    {
        var (platform, ospm, _) = Platform();
        var id = platform.Faults.Add(new FaultSpec(FaultKind.Status) { Count = 1 });
        platform.Faults.Remove(id);
        var reply = new byte[ospm.ReplyBufferSize];
        for (var i = 0; i < 100; i++)
            platform.Handle(ospm, RateGet, reply);
        Assert.Equal(0, Allocations.LeastOfThreeRounds(() =>
        {
            for (var i = 0; i < 1000; i++)
                platform.Handle(ospm, RateGet, reply);
        }));
    }
}
