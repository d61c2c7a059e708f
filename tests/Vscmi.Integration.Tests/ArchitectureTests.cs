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

    /// <summary>Each project's log event ids (STYLE: one range per project, so an id names its source).</summary>
    private static readonly Dictionary<string, (int First, int Last)> EventIdRanges = new()
    {
        ["Cli"] = (1, 99),
        ["Platform"] = (100, 299), // 100s: dispatch and state; 200s: Hosting (the serve loop)
        ["Virtio"] = (300, 399),
        ["VhostUser"] = (400, 499),
        ["Agent"] = (500, 599),
        ["Transport"] = (600, 699),
        ["Linux"] = (700, 799),
        ["Protocol"] = (800, 899),
        ["Web"] = (900, 999),
    };

    [Fact]
    public void Log_event_ids_are_unique_and_inside_their_projects_range()
    {
        var seen = new Dictionary<int, string>();
        foreach (var project in Directory.GetDirectories(Source))
        {
            var name = Path.GetFileName(project)["Vscmi.".Length..];
            Assert.True(EventIdRanges.TryGetValue(name, out var range), $"src/{Path.GetFileName(project)} has no event-id range here");
            var files = Directory.GetFiles(project, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
            foreach (var file in files)
            {
                foreach (Match id in EventIdAttribute().Matches(File.ReadAllText(file)))
                {
                    var value = int.Parse(id.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    var where = Path.GetRelativePath(CliProcess.RepositoryRoot, file);
                    Assert.True(value >= range.First && value <= range.Last, $"{where}: event id {value} is outside {name}'s {range.First}-{range.Last}");
                    Assert.False(seen.TryGetValue(value, out var other), $"{where}: event id {value} is used by {other} too");
                    seen[value] = where;
                }
            }
        }

        Assert.True(seen.Count >= 35, $"only {seen.Count} event ids found");
    }

    [Fact]
    public void Unsafe_code_is_confined_to_members_that_say_why_it_is_safe()
    {
        // STYLE: a whole class is unsafe only for the native declarations; elsewhere each unsafe
        // member is small and carries a "// SAFETY:" line saying what makes its pointers valid.
        var members = 0;
        foreach (var file in Directory.GetFiles(Source, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            var where = Path.GetRelativePath(CliProcess.RepositoryRoot, file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (!UnsafeDeclaration().IsMatch(lines[i]))
                    continue;
                if (TypeDeclaration().IsMatch(lines[i]))
                {
                    Assert.True(where.EndsWith("Libc.cs", StringComparison.Ordinal), $"{where}:{i + 1}: a whole type is unsafe: {lines[i].Trim()}");
                    continue;
                }

                members++;
                var body = lines.Skip(i + 1).TakeWhile(l => !MemberBoundary().IsMatch(l));
                Assert.True(body.Any(l => l.Contains("// SAFETY:", StringComparison.Ordinal)), $"{where}:{i + 1}: unsafe member without a // SAFETY: line: {lines[i].Trim()}");
            }
        }

        Assert.True(members >= 10, $"only {members} unsafe members found");
    }

    [Fact]
    public void Only_the_protocol_library_names_message_fields()
    {
        // A message's layout is written once, in Vscmi.Protocol/Protocols; everything else reads and
        // builds fields through the records and constants generated from it (Generated/*.g.cs).
        var offenders = new List<string>();
        foreach (var file in Directory.GetFiles(Source, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/Vscmi.Protocol/", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (FieldByName().IsMatch(lines[i]))
                    offenders.Add($"{Path.GetRelativePath(CliProcess.RepositoryRoot, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }

        Assert.True(offenders.Count == 0, "fields named by string outside their descriptions:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_platform_builds_words_through_the_generated_constants()
    {
        // Bit positions live in the descriptions (Generated/BitFields.g.cs, BitField.Put/Get); a
        // shift by a literal in the platform is a layout written a second time.
        var offenders = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Source, "Vscmi.Platform"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = lines[i].Split("//", 2)[0];
                if (ShiftByLiteral().IsMatch(code) && !code.TrimStart().StartsWith('*'))
                    offenders.Add($"{Path.GetRelativePath(CliProcess.RepositoryRoot, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }

        Assert.True(offenders.Count == 0, "shifts by a literal in the platform:\n" + string.Join('\n', offenders));
    }

    [GeneratedRegex(@"(<<|>>)\s*\d")]
    private static partial Regex ShiftByLiteral();

    // FieldSet reads and writes by name, and the old (name, value) argument tuples.
    [GeneratedRegex(@"\.(GetUInt64|GetInt64|GetUInt32|GetText|GetNumbers|GetRecords|ValueOrZero|FindUInt64|FindInt64|FindText|FindNumbers|FindRecords|Set)\(""|\(\(""[a-z_]+"",|Defined(Entry)?Bits\([^)]*""")]
    private static partial Regex FieldByName();

    [GeneratedRegex(@"^\s*(?:(?:public|private|internal|protected|static|readonly|sealed|partial|override)\s+)*unsafe\s")]
    private static partial Regex UnsafeDeclaration();

    [GeneratedRegex(@"\b(class|struct|record|interface)\s+\w+")]
    private static partial Regex TypeDeclaration();

    // The next member or the end of the type, at a type member's indentation.
    [GeneratedRegex(@"^    [}\[/a-zA-Z]")]
    private static partial Regex MemberBoundary();

    [GeneratedRegex(@"LoggerMessage\(EventId = (\d+)")]
    private static partial Regex EventIdAttribute();

    [GeneratedRegex("```mermaid\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();

    // "A[Vscmi.A] --> B[Vscmi.B]" or "A --> B": the node ids are the project names without Vscmi.
    [GeneratedRegex(@"^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)(?:\[[^\]]*\])?\s*$", RegexOptions.Multiline)]
    private static partial Regex Edge();
}
