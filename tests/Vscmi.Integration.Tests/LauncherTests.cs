namespace Vscmi.Integration.Tests;

/// <summary>
/// <c>./vscmi</c> rebuilds when any source is newer than its build, the embedded model included:
/// a copy of the launcher (and <c>packaging/newer-source.sh</c>, the predicate it shares with
/// <c>./test</c> and the e2e script) in a scratch tree, with a stub <c>dotnet</c> that records its calls.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"vscmi-launcher-{Guid.NewGuid():N}"[..24]);

    public LauncherTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src", "Vscmi.Cli"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "Vscmi.Platform", "Model"));
        Directory.CreateDirectory(Path.Combine(_root, "artifacts", "cli"));
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        Directory.CreateDirectory(Path.Combine(_root, "packaging"));
        foreach (var script in new[] { "vscmi", "packaging/newer-source.sh" })
        {
            File.Copy(Path.Combine(CliProcess.RepositoryRoot, script), Path.Combine(_root, script));
            File.SetUnixFileMode(Path.Combine(_root, script), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "src/Vscmi.Cli/Vscmi.Cli.csproj", "src/Vscmi.Cli/Program.cs", "src/Vscmi.Platform/Model/default-model.toml" })
            File.WriteAllText(Path.Combine(_root, file), "");
        File.WriteAllText(Path.Combine(_root, "bin", "dotnet"), "#!/bin/sh\necho \"$@\" >> \"$STUB_LOG\"\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(_root, "bin", "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string Dll => Path.Combine(_root, "artifacts", "cli", "vscmi.dll");

    private string Log => Path.Combine(_root, "dotnet.log");

    private (int Exit, string Stderr, string[] Calls) Launch()
    {
        File.Delete(Log);
        var env = new Dictionary<string, string> { ["PATH"] = $"{Path.Combine(_root, "bin")}:{Environment.GetEnvironmentVariable("PATH")}", ["STUB_LOG"] = Log };
        var (exit, _, stderr) = CliProcess.RunWith(_root, env, Path.Combine(_root, "vscmi"), "--version");
        return (exit, stderr, File.Exists(Log) ? File.ReadAllLines(Log) : []);
    }

    [Theory]
    [InlineData("src/Vscmi.Platform/Model/default-model.toml")]
    [InlineData("src/Vscmi.Cli/Program.cs")]
    [InlineData("Directory.Build.props")]
    [InlineData("global.json")]
    public void A_source_newer_than_the_build_rebuilds_then_the_next_run_does_not(string changed)
    {
        File.WriteAllText(Dll, "");
        var old = DateTime.UtcNow.AddHours(-1);
        foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, old);
        File.SetLastWriteTimeUtc(Path.Combine(_root, changed), DateTime.UtcNow);

        var (exit, stderr, calls) = Launch();
        Assert.True(exit == 0, stderr);
        Assert.Contains("vscmi: building (Release)...", stderr, StringComparison.Ordinal);
        Assert.Contains(calls, c => c.StartsWith("build ", StringComparison.Ordinal));

        (exit, stderr, calls) = Launch(); // the build touched the dll: up to date now
        Assert.Equal(0, exit);
        Assert.DoesNotContain("building", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(calls, c => c.StartsWith("build ", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.EndsWith("vscmi.dll --version", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
