namespace Vscmi.Integration.Tests;

/// <summary>
/// A fresh directory under the system's temporary directory for one test's models, sockets and
/// state files, deleted with everything in it on dispose (declare it first: what runs in it, a
/// daemon above all, is disposed before it).
/// </summary>
internal sealed class ScratchDirectory : IDisposable
{
    private ScratchDirectory(string path) => Path = path;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>Creates one whose name starts with <paramref name="prefix"/> (which says whose it is when one is left behind).</summary>
    public static ScratchDirectory Create(string prefix) => new(Directory.CreateTempSubdirectory(prefix).FullName);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
