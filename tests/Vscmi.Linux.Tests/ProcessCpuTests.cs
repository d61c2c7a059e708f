namespace Vscmi.Linux.Tests;

/// <summary><see cref="ProcessCpu"/>: this process's CPU time from procfs grows with work; a process that is not there reads as null.</summary>
public sealed class ProcessCpuTests
{
    [Fact]
    public void This_process_CPU_time_grows_with_work()
    {
        var before = ProcessCpu.TotalNanoseconds(Environment.ProcessId);
        Assert.NotNull(before);
        var spin = System.Diagnostics.Stopwatch.StartNew();
        var x = 0L;
        while (spin.ElapsedMilliseconds < 50)
            x += spin.ElapsedTicks % 7;
        var after = ProcessCpu.TotalNanoseconds(Environment.ProcessId);
        Assert.True(after > before, $"{before} then {after} (x={x})");
    }

    [Fact]
    public void A_process_that_is_not_there_reads_as_null()
    {
        Assert.Null(ProcessCpu.TotalNanoseconds(int.MaxValue));
        Assert.Null(ProcessCpu.TotalNanoseconds(-1));
    }
}
