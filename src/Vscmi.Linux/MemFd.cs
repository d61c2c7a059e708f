namespace Vscmi.Linux;

/// <summary>Anonymous shared memory (<c>memfd_create</c>), the way QEMU's memory-backend-memfd backs guest RAM.</summary>
public static class MemFd
{
    /// <summary>
    /// Creates a memfd of <paramref name="size"/> bytes. With <paramref name="seal"/> its size is
    /// sealed, so a process it is shared with cannot shrink it under a mapping (which would turn
    /// accesses into SIGBUS).
    /// </summary>
    public static FileDescriptor Create(string name, long size, bool seal = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var fd = new FileDescriptor(LinuxError.Check(Libc.MemfdCreate(name, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING), "memfd_create"));
        try
        {
            LinuxError.Check(Libc.Ftruncate(fd, size), "ftruncate");
            if (seal)
                LinuxError.Check(Libc.Fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL), "fcntl(F_ADD_SEALS)");
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }
}
