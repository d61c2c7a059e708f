namespace Vscmi.Linux.Tests;

/// <summary><see cref="ProcessSignal.IsIgnored(string, int)"/>: the SigIgn mask of proc(5), read bit by bit; anything malformed reads as not ignored.</summary>
public sealed class ProcessSignalTests
{
    private const string Status = "Name:\tvscmi\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000005\nSigCgt:\t0000000000004a02\n";

    [Theory]
    [InlineData(1, true)]   // SIGHUP: bit 0 (nohup)
    [InlineData(2, false)]  // SIGINT
    [InlineData(3, true)]   // SIGQUIT: bit 2
    [InlineData(15, false)] // SIGTERM
    [InlineData(64, false)]
    public void A_signal_is_ignored_when_its_bit_is_set(int signal, bool ignored) =>
        Assert.Equal(ignored, ProcessSignal.IsIgnored(Status, signal));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    public void A_signal_number_out_of_range_is_not_ignored(int signal) =>
        Assert.False(ProcessSignal.IsIgnored("SigIgn:\tffffffffffffffff\n", signal));

    [Theory]
    [InlineData("")]                                   // no line
    [InlineData("SigIgn:\n")]                          // no mask
    [InlineData("SigIgn:\tzz00000000000001\n")]        // not hexadecimal
    [InlineData("SigIgn:\t10000000000000001\n")]       // 17 digits: longer than 64 bits
    [InlineData("SigCgt:\t0000000000000001\n")]        // another mask
    public void A_malformed_or_missing_mask_reads_as_not_ignored(string status) =>
        Assert.False(ProcessSignal.IsIgnored(status, 1));

    [Fact]
    public void Random_text_never_throws()
    {
        var random = new Random(19);
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 80)];
            for (var j = 0; j < chars.Length; j++)
                chars[j] = "SigIgn:\t\n0123456789abcdefxyz "[random.Next(26)];
            _ = ProcessSignal.IsIgnored(new string(chars), random.Next(-2, 70));
        }
    }

    [Fact]
    public void This_process_reads_its_own_mask()
    {
        var status = File.ReadAllText("/proc/self/status");
        Assert.Contains("SigIgn:", status, StringComparison.Ordinal);
        // SIGKILL (9) can never be ignored.
        Assert.False(ProcessSignal.IsIgnored(9));
        Assert.Equal(ProcessSignal.IsIgnored(status, ProcessSignal.SIGHUP), ProcessSignal.IsIgnored(ProcessSignal.SIGHUP));
    }
}
