namespace Vscmi.Linux;

/// <summary>
/// Makes a rename durable: after <c>rename()</c> the new directory entry reaches the disk only when
/// the directory itself is fsynced (fsync(2): "an explicit fsync() on a file descriptor for the
/// directory is also needed"). .NET cannot open a directory as a file, hence this.
/// </summary>
public static class DirectorySync
{
    /// <summary>fsyncs <paramref name="directory"/>.</summary>
    /// <exception cref="LinuxException">It cannot be opened as a directory or synced (errno kept).</exception>
    public static void Flush(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        using var fd = new FileDescriptor(LinuxError.Check(Libc.Open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC), $"open({directory})"));
        LinuxError.Check(Libc.Fsync(fd), $"fsync({directory})");
    }
}
