namespace Vscmi.Linux.Tests;

/// <summary>fsync of a directory (a state file's rename made durable), and its errors with errno.</summary>
public sealed class DirectorySyncTests
{
    [Fact]
    public void A_directory_is_synced_and_anything_else_is_an_error_with_its_errno()
    {
        var directory = Directory.CreateTempSubdirectory("vscmi-dirsync-").FullName;
        try
        {
            DirectorySync.Flush(directory);
            var file = Path.Combine(directory, "state.json");
            File.WriteAllText(file, "{}");
            Assert.Equal(20, Assert.Throws<LinuxException>(() => DirectorySync.Flush(file)).Errno);                       // ENOTDIR
            Assert.Equal(2, Assert.Throws<LinuxException>(() => DirectorySync.Flush(Path.Combine(directory, "gone"))).Errno); // ENOENT
            Assert.Throws<ArgumentException>(() => DirectorySync.Flush(""));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
