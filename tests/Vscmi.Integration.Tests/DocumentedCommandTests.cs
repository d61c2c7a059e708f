using System.Text.RegularExpressions;

namespace Vscmi.Integration.Tests;

/// <summary>
/// Every <c>./vscmi</c> command shown in README.md and docs/*.md runs, against a fresh daemon whose
/// OSPM socket is the default <c>vscmi.sock</c>, so the examples cannot rot. Commands that run until
/// Ctrl-C (serve, watch, events, trace), need a VM (vhost-user sockets, system requests) or a
/// daemon's control socket, or ask for confirmation are left out, by rule, below.
/// </summary>
public sealed partial class DocumentedCommandTests
{
    [GeneratedRegex(@"^(?:\$ )?\./vscmi (?<args>.+)$")]
    private static partial Regex CommandLine();

    public static TheoryData<string, string> Commands()
    {
        var data = new TheoryData<string, string>();
        var files = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(CliProcess.RepositoryRoot, "docs"), "*.md").Select(f => Path.Combine("docs", Path.GetFileName(f))));
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(Path.Combine(CliProcess.RepositoryRoot, file));
            for (var i = 0; i < lines.Length; i++)
            {
                var match = CommandLine().Match(lines[i].Trim());
                if (!match.Success)
                    continue;
                var text = match.Groups["args"].Value;
                var comment = text.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0)
                    text = text[..comment];
                // "clocks | sensors | perf" lists alternatives: each is a command.
                var alternatives = text.Contains(" | ", StringComparison.Ordinal) && !text.Contains('>', StringComparison.Ordinal)
                    ? text.Split(" | ").Select(a => a.Trim())
                    : [text.Trim()];
                foreach (var command in alternatives)
                {
                    if (Runnable(command))
                        data.Add($"{file}:{i + 1}", command);
                }
            }
        }

        return data;
    }

    private static bool Runnable(string command)
    {
        var verb = command.Split(' ')[0];
        // --control names a running daemon's control socket (the systemd unit's /run/vscmi path in
        // the docs), which the fresh daemon here does not have.
        return verb is not ("serve" or "watch" or "events" or "system" or "trace")
            && !command.Contains("vhost-user:", StringComparison.Ordinal)
            && !command.Contains("--config", StringComparison.Ordinal)
            && !command.Contains("--control", StringComparison.Ordinal);
    }

    [Fact]
    public void The_docs_show_enough_commands_to_be_worth_checking() => Assert.True(Commands().Count >= 25, $"only {Commands().Count} runnable commands found");

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_documented_command_runs(string where, string command)
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/vscmi.sock", "--socket", "guest={dir}/guest.sock");
        // "> file" and ">> file" write the output where a user's shell would; a later example reads it.
        var redirect = Regex.Match(command, @"\s(>>?)\s*(\S+)$");
        var words = (redirect.Success ? command[..redirect.Index] : command).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Contains("my-soc.toml"))
            await File.WriteAllTextAsync(serve.PathOf("my-soc.toml"), CliProcess.Run("config", "show").Stdout);
        var (exit, stdout, stderr) = CliProcess.RunIn(serve.Directory, Path.Combine(CliProcess.RepositoryRoot, "vscmi"), words);
        Assert.True(exit == 0, $"{where}: ./vscmi {command} exited {exit}: {stderr}");
        Assert.False(string.IsNullOrWhiteSpace(stdout), $"{where}: ./vscmi {command} printed nothing");
        if (redirect.Success)
            await File.AppendAllTextAsync(serve.PathOf(redirect.Groups[2].Value), stdout);
    }
}
