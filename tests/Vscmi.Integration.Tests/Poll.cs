using System.Diagnostics;

namespace Vscmi.Integration.Tests;

/// <summary>Waiting on a condition instead of sleeping before an assertion (the machines are 2-core and loaded).</summary>
internal static class Poll
{
    /// <summary>Returns once <paramref name="condition"/> holds; fails the test after 10 s, naming <paramref name="what"/>.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10))
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
