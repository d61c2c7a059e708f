namespace Vscmi.Agent.Tests;

public class TokenAllocatorTests
{
    [Fact]
    public void Tokens_advance_monotonically_even_when_earlier_ones_are_free()
    {
        var tokens = new TokenAllocator();
        Assert.True(tokens.TryAllocate(out var a));
        tokens.Release(a);
        Assert.True(tokens.TryAllocate(out var b));
        Assert.Equal(a + 1, b);
    }

    [Fact]
    public void All_1024_tokens_can_be_in_flight_and_no_more()
    {
        var tokens = new TokenAllocator();
        var seen = new HashSet<ushort>();
        for (var i = 0; i < 1024; i++)
        {
            Assert.True(tokens.TryAllocate(out var t));
            Assert.True(seen.Add(t));
        }

        Assert.False(tokens.TryAllocate(out _));
        tokens.Release(700);
        Assert.True(tokens.TryAllocate(out var again));
        Assert.Equal(700, again);
    }

    [Fact]
    public void A_reserved_token_is_skipped_after_wrapping()
    {
        var tokens = new TokenAllocator();
        Assert.True(tokens.TryAllocate(out var stuck)); // 0 stays reserved (a timed-out request)
        for (var i = 0; i < 2000; i++)
        {
            Assert.True(tokens.TryAllocate(out var t));
            Assert.NotEqual(stuck, t);
            tokens.Release(t);
        }

        Assert.Equal(1, tokens.InUse);
    }

    [Fact]
    public void Matches_a_model_under_random_operations()
    {
        // Model: a set of reserved tokens and the next candidate; the allocator must agree step by step.
        var random = new Random(17);
        var tokens = new TokenAllocator();
        var reserved = new HashSet<ushort>();
        var next = 0;
        for (var step = 0; step < 50_000; step++)
        {
            if (random.Next(3) > 0 || reserved.Count == 0)
            {
                var expected = Enumerable.Range(0, 1024).Select(i => (ushort)((next + i) % 1024)).Cast<ushort?>().FirstOrDefault(t => !reserved.Contains(t!.Value));
                Assert.Equal(expected is not null, tokens.TryAllocate(out var t));
                if (expected is { } e)
                {
                    Assert.Equal(e, t);
                    reserved.Add(t);
                    next = (t + 1) % 1024;
                }
            }
            else
            {
                var victim = reserved.ElementAt(random.Next(reserved.Count));
                reserved.Remove(victim);
                tokens.Release(victim);
            }

            Assert.Equal(reserved.Count, tokens.InUse);
        }
    }
}
