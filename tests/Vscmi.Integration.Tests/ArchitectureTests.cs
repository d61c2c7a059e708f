using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Vscmi.Integration.Tests;

/// <summary>
/// The project graph docs/architecture.md draws is the one the .csproj files declare, and the
/// layering rules it states hold in the built assemblies.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Source = Path.Combine(CliProcess.RepositoryRoot, "src");

    /// <summary>Every ProjectReference among src/ projects, as "From --> To" with the Vscmi. prefix dropped.</summary>
    private static SortedSet<string> ReferencedEdges()
    {
        var edges = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var project in Directory.GetFiles(Source, "*.csproj", SearchOption.AllDirectories))
        {
            var from = Path.GetFileNameWithoutExtension(project)["Vscmi.".Length..];
            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                var to = Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/'))["Vscmi.".Length..];
                edges.Add($"{from} --> {to}");
            }
        }

        return edges;
    }

    /// <summary>The edges of the first mermaid block in docs/architecture.md.</summary>
    private static SortedSet<string> DrawnEdges()
    {
        var text = File.ReadAllText(Path.Combine(CliProcess.RepositoryRoot, "docs", "architecture.md"));
        var block = MermaidBlock().Match(text);
        Assert.True(block.Success, "docs/architecture.md has no ```mermaid block");
        var edges = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match edge in Edge().Matches(block.Groups[1].Value))
            edges.Add($"{edge.Groups[1].Value} --> {edge.Groups[2].Value}");
        return edges;
    }

    [Fact]
    public void The_drawn_project_graph_is_the_declared_one()
    {
        var declared = ReferencedEdges();
        var drawn = DrawnEdges();
        Assert.True(declared.Count >= 10, $"only {declared.Count} references found under {Source}");
        Assert.Equal(declared, drawn);
    }

    [Theory]
    [InlineData("Transport", "Protocol")]
    [InlineData("Protocol", "")]
    [InlineData("Linux", "")]
    public void Lower_layers_reference_only_what_they_may(string project, string allowed)
    {
        var targets = ReferencedEdges().Where(e => e.StartsWith(project + " -->", StringComparison.Ordinal)).Select(e => e.Split(" --> ")[1]);
        Assert.Equal(allowed.Split(',', StringSplitOptions.RemoveEmptyEntries), targets);
    }

    [Fact]
    public void The_agent_library_carries_no_platform()
    {
        // The whole reference closure of the built agent assembly, as a user of the library gets it.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>([typeof(Agent.ScmiClient).Assembly.GetName()]);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name.Name!) || !name.Name!.StartsWith("Vscmi.", StringComparison.Ordinal))
                continue;
            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
                pending.Push(reference);
        }

        Assert.Contains("Vscmi.Transport", seen);
        Assert.Contains("Vscmi.Protocol", seen);
        Assert.DoesNotContain("Vscmi.Platform", seen);
        Assert.DoesNotContain("Tomlyn", seen);
    }

    [GeneratedRegex("```mermaid\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();

    // "A[Vscmi.A] --> B[Vscmi.B]" or "A --> B": the node ids are the project names without Vscmi.
    [GeneratedRegex(@"^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)(?:\[[^\]]*\])?\s*$", RegexOptions.Multiline)]
    private static partial Regex Edge();
}
