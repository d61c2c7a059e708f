namespace Vscmi.Platform.Tests.Host;

/// <summary>
/// A sysfs (and debugfs) tree in a temporary directory, laid out as the kernel's ABI documents
/// it: class directories hold the device directories the backends look up by name.
/// </summary>
internal sealed class FakeSysfs : IDisposable
{
    public FakeSysfs()
    {
        Root = Path.Combine(Path.GetTempPath(), $"vscmi-sysfs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes an attribute (creating its directories), as the kernel would show it: text and a newline.</summary>
    public string Set(string relative, string value)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value + "\n");
        return path;
    }

    public string Get(string relative) => File.ReadAllText(Path.Combine(Root, relative)).Trim();

    public void Delete(string relative)
    {
        var path = Path.Combine(Root, relative);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
        else
            File.Delete(path);
    }

    /// <summary>Every file's path and content: what a test compares to prove nothing was written.</summary>
    public IReadOnlyDictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

    /// <summary>A hwmon chip: hwmonN with a name and channels (temp1_input = 45000...).</summary>
    public void Hwmon(int n, string name, params (string Attribute, string Value)[] attributes)
    {
        Set($"class/hwmon/hwmon{n}/name", name);
        foreach (var (attribute, value) in attributes)
            Set($"class/hwmon/hwmon{n}/{attribute}", value);
    }

    /// <summary>A model with a [host] table pointing at this tree, then the given resources.</summary>
    public string Model(string resources) => $$"""
        [host]
        sysfs = "{{Root}}"

        [platform]
        vendor = "host"

        [[agent]]
        name = "vm"

        {{resources}}
        """;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
