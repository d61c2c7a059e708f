using System.Runtime.InteropServices;

namespace Vscmi.Linux;

/// <summary>
/// The libc entry points vscmi uses, declared once (STYLE 14). Every call sets errno; callers go
/// through <see cref="LinuxError"/> on failure. Raw ints stay in this layer: everything public
/// takes or returns a <see cref="FileDescriptor"/>.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    internal const int EINTR = 4;
    internal const int EAGAIN = 11;

    internal const uint MFD_CLOEXEC = 0x0001;
    internal const uint MFD_ALLOW_SEALING = 0x0002;
    internal const int F_ADD_SEALS = 1033;
    internal const int F_GET_SEALS = 1034;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;
    internal const int F_SEAL_SEAL = 0x0001;
    internal const int F_SEAL_SHRINK = 0x0002;
    internal const int F_SEAL_GROW = 0x0004;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;

    internal const int EFD_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = 0x800;

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;

    internal const int SOL_SOCKET = 1;
    internal const int SCM_RIGHTS = 1;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;
    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_PEEK = 0x2;

    internal const int SEEK_END = 2;

    // Descriptors go to native code as SafeHandles: the marshaller holds a reference for the
    // call, so a descriptor closed by another thread meanwhile cannot be reused under us (STYLE 14).
    // close() alone takes the raw number: it runs inside ReleaseHandle.

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Library, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);

    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;

    /// <summary>Differs by architecture: 0200000 on x86-64 (asm-generic), 040000 on arm64 (glibc's aarch64 bits/fcntl.h).</summary>
    internal static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(FileDescriptor fd);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(FileDescriptor fd, long length);

    [LibraryImport(Library, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long Lseek(FileDescriptor fd, long offset, int whence);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(FileDescriptor fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, FileDescriptor fd, long offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int Eventfd(uint initial, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(FileDescriptor fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(FileDescriptor fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(FileDescriptor epfd, int op, FileDescriptor fd, void* eventPointer);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(FileDescriptor epfd, void* events, int maxEvents, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(System.Net.Sockets.SafeSocketHandle socket, MsgHdr* message, int flags);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Recv(System.Net.Sockets.SafeSocketHandle socket, void* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(System.Net.Sockets.SafeSocketHandle socket, MsgHdr* message, int flags);

    /// <summary><c>struct iovec</c> (64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c> (64-bit Linux: 56 bytes; checked against C by a test).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct cmsghdr</c> (64-bit Linux: 16 bytes before the data).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary><c>CMSG_ALIGN</c>: control data is aligned to <c>sizeof(size_t)</c>.</summary>
    internal static int CmsgAlign(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    /// <summary><c>CMSG_SPACE</c>.</summary>
    internal static int CmsgSpace(int dataLength) => CmsgAlign(sizeof(CmsgHdr)) + CmsgAlign(dataLength);

    /// <summary><c>CMSG_LEN</c>.</summary>
    internal static int CmsgLen(int dataLength) => CmsgAlign(sizeof(CmsgHdr)) + dataLength;
}
