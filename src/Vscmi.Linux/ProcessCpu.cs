using System.Globalization;

namespace Vscmi.Linux;

/// <summary>
/// CPU time a process has used, from procfs: the sum over its threads of the run time the
/// scheduler accounts in nanoseconds (<c>/proc/PID/task/TID/schedstat</c>, first field), which is
/// far finer than the clock ticks of <c>stat</c>. What <c>vscmi bench</c> reads from the daemon
/// before and after a run to report its CPU time per message (issue 18: throughput on a shared
/// 2-core machine varies with the load generator; the daemon's own CPU per message does not).
/// </summary>
public static class ProcessCpu
{
    /// <summary>The process's CPU time so far in ns (threads that exited are not counted); null when it cannot be read.</summary>
    public static long? TotalNanoseconds(int pid)
    {
        var tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        string[] threads;
        try
        {
            threads = Directory.GetDirectories(tasks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        long total = 0;
        var read = 0;
        foreach (var thread in threads)
        {
            try
            {
                var text = File.ReadAllText(Path.Combine(thread, "schedstat"));
                var end = text.IndexOf(' ', StringComparison.Ordinal);
                if (end > 0 && long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                {
                    total += ns;
                    read++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return read == 0 ? null : total;
    }
}
