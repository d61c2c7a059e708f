using System.Diagnostics;

namespace Vscmi.Integration.Tests;

/// <summary>Runs the real <c>./vscmi</c> launcher (or another program) at the repository root, as a user would.</summary>
internal static class CliProcess
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Runs <c>vscmi ctl ARGS --control CONTROL</c>, expects success and returns its output.</summary>
    public static string Ctl(string control, params string[] args)
    {
        var (code, stdout, stderr) = Run(["ctl", .. args, "--control", control]);
        Assert.True(code == 0, $"vscmi ctl {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) =>
        RunTool(Path.Combine(RepositoryRoot, "vscmi"), args);

    /// <summary>Runs any program (dtc, dotnet) from the repository root, with a 5-minute limit.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunTool(string file, params string[] args) => RunIn(RepositoryRoot, file, args);

    /// <summary>Runs a program in <paramref name="directory"/>, with a 5-minute limit.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunIn(string directory, string file, params string[] args) =>
        RunWith(directory, null, file, args);

    /// <summary>Runs a program in <paramref name="directory"/> with some environment variables set, with a 5-minute limit.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWith(string directory, IReadOnlyDictionary<string, string>? environment, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        // The launcher beside the solution: a build output may hold a 'vscmi' of its own (the fuzz
        // project references the command line, and its apphost is copied along).
        while (dir is not null && !(File.Exists(Path.Combine(dir.FullName, "vscmi")) && File.Exists(Path.Combine(dir.FullName, "Vscmi.slnx"))))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (the vscmi launcher)");
    }
}
