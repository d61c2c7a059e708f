namespace Vscmi.Integration.Tests;

/// <summary>
/// The fuzz targets (fuzz/Vscmi.Fuzz) run in CI without AFL: the seed corpus replayed, then a
/// fixed-seed run of random bytes and corpus mutations. Coverage-guided runs: fuzz/run.sh.
/// </summary>
public sealed class FuzzTargetTests
{
    private static readonly string Fuzzer = Path.Combine(CliProcess.RepositoryRoot, "fuzz", "Vscmi.Fuzz", "bin", "Release", "net10.0", "Vscmi.Fuzz.dll");

    [Theory]
    [InlineData("scmi-message", 30000)]
    [InlineData("platform", 30000)]
    [InlineData("virtqueue", 30000)]
    [InlineData("model", 8000)]
    [InlineData("vhost-user", 3000)]
    [InlineData("device-ops", 20000)]
    [InlineData("differential", 100000)]
    [InlineData("state-file", 20000)]
    [InlineData("state-body", 20000)]
    [InlineData("scenario", 5000)]
    [InlineData("trace-file", 20000)]
    [InlineData("control", 10000)]
    public void A_target_survives_its_corpus_and_a_fixed_seed_random_run(string target, int inputs)
    {
        Assert.True(File.Exists(Fuzzer), $"{Fuzzer} is not built (it is part of Vscmi.slnx)");
        var corpus = Path.Combine(CliProcess.RepositoryRoot, "fuzz", "corpus", target);
        // An empty (or missing) corpus would replay nothing and pass: each target keeps at least two seeds.
        Assert.True(Directory.Exists(corpus) && Directory.GetFiles(corpus).Length >= 2, $"the seed corpus {corpus} is missing or has fewer than 2 inputs");
        var (code, output) = Run(target, "--replay", corpus);
        Assert.True(code == 0, output);
        (code, output) = Run(target, "--random", inputs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "32", "--corpus", corpus);
        Assert.True(code == 0, output);
        Assert.Contains("no finding", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var (code, stdout, stderr) = CliProcess.RunTool("dotnet", [Fuzzer, .. args]);
        return (code, stdout + stderr);
    }
}
