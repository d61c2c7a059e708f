namespace Vscmi.Platform.Tests;

/// <summary>Bytes a piece of steady-state work allocates on this thread (a count, not a timing).</summary>
internal static class Allocations
{
    /// <summary>
    /// The least bytes allocated by <paramref name="round"/> over up to three runs (stopping at the
    /// first that allocates nothing). A steady allocation shows in every run; the runtime's own
    /// one-off work (an on-stack replacement of the caller's loop, a tier-up of a callee, which a full
    /// <c>./test</c> on 2 busy cores once caught inside a run) shows in one at most.
    /// </summary>
    public static long LeastOfThreeRounds(Action round)
    {
        var least = long.MaxValue;
        for (var i = 0; i < 3 && least != 0; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            round();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
