namespace Vscmi.Integration.Tests;

/// <summary>The default model (<c>vscmi config show</c>) with one line added to an agent's table, in a temporary file deleted on dispose.</summary>
internal sealed class TempModel : IDisposable
{
    private TempModel(string path) => Path = path;

    /// <summary>The file, for <c>--config</c>.</summary>
    public string Path { get; }

    /// <summary>Writes the default model with <paramref name="line"/> right after <c>name = "AGENT"</c>; fails the test if that agent is missing.</summary>
    public static TempModel WithAgentLine(string agent, string line) => WithAgentLines((agent, line));

    /// <summary>Likewise, a line for each of several agents.</summary>
    public static TempModel WithAgentLines(params (string Agent, string Line)[] lines)
    {
        var (_, model, _) = CliProcess.Run("config", "show");
        var changed = model;
        foreach (var (agent, line) in lines)
        {
            var before = changed;
            changed = changed.Replace($"name = \"{agent}\"\n", $"name = \"{agent}\"\n{line}\n", StringComparison.Ordinal);
            Assert.NotEqual(before, changed);
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vscmi-model-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, changed);
        return new TempModel(path);
    }

    /// <inheritdoc />
    public void Dispose() => File.Delete(Path);
}
