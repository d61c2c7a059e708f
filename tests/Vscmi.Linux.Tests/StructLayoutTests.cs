using System.Diagnostics;
using System.Runtime.InteropServices;
using Vscmi.Linux;
using Vscmi.VhostUser;

namespace Vscmi.Linux.Tests;

/// <summary>
/// The structs and constants we mirror, compared with what gcc says on this machine (STYLE 15).
/// </summary>
public sealed unsafe class StructLayoutTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <sys/epoll.h>
        #include <sys/eventfd.h>
        #include <sys/mman.h>
        #include <fcntl.h>
        #include <errno.h>
        #include <linux/vhost_types.h>
        #define P(name, value) printf("%s=%ld\n", name, (long)(value))
        int main(void) {
          P("iovec.size", sizeof(struct iovec));
          P("iovec.len", offsetof(struct iovec, iov_len));
          P("msghdr.size", sizeof(struct msghdr));
          P("msghdr.namelen", offsetof(struct msghdr, msg_namelen));
          P("msghdr.iov", offsetof(struct msghdr, msg_iov));
          P("msghdr.iovlen", offsetof(struct msghdr, msg_iovlen));
          P("msghdr.control", offsetof(struct msghdr, msg_control));
          P("msghdr.controllen", offsetof(struct msghdr, msg_controllen));
          P("msghdr.flags", offsetof(struct msghdr, msg_flags));
          P("cmsghdr.size", sizeof(struct cmsghdr));
          P("cmsghdr.level", offsetof(struct cmsghdr, cmsg_level));
          P("cmsghdr.type", offsetof(struct cmsghdr, cmsg_type));
          P("CMSG_SPACE(4)", CMSG_SPACE(4));
          P("CMSG_SPACE(64)", CMSG_SPACE(64));
          P("CMSG_LEN(12)", CMSG_LEN(12));
          P("epoll_event.size", sizeof(struct epoll_event));
          P("epoll_event.data", offsetof(struct epoll_event, data));
          P("EPOLLIN", EPOLLIN);
          P("EPOLL_CLOEXEC", EPOLL_CLOEXEC);
          P("EPOLL_CTL_ADD", EPOLL_CTL_ADD);
          P("EPOLL_CTL_DEL", EPOLL_CTL_DEL);
          P("EFD_CLOEXEC", EFD_CLOEXEC);
          P("EFD_NONBLOCK", EFD_NONBLOCK);
          P("MFD_CLOEXEC", MFD_CLOEXEC);
          P("MFD_ALLOW_SEALING", MFD_ALLOW_SEALING);
          P("F_ADD_SEALS", F_ADD_SEALS);
          P("F_SEAL_SEAL", F_SEAL_SEAL);
          P("F_SEAL_SHRINK", F_SEAL_SHRINK);
          P("F_SEAL_GROW", F_SEAL_GROW);
          P("PROT_READ", PROT_READ);
          P("PROT_WRITE", PROT_WRITE);
          P("MAP_SHARED", MAP_SHARED);
          P("SOL_SOCKET", SOL_SOCKET);
          P("O_RDONLY", O_RDONLY);
          P("O_DIRECTORY", O_DIRECTORY);
          P("O_CLOEXEC", O_CLOEXEC);
          P("SCM_RIGHTS", SCM_RIGHTS);
          P("MSG_DONTWAIT", MSG_DONTWAIT);
          P("MSG_NOSIGNAL", MSG_NOSIGNAL);
          P("MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC);
          P("MSG_CTRUNC", MSG_CTRUNC);
          P("EAGAIN", EAGAIN);
          P("EINTR", EINTR);
          P("SEEK_END", SEEK_END);
          P("vhost_vring_state.size", sizeof(struct vhost_vring_state));
          P("vhost_vring_state.index", offsetof(struct vhost_vring_state, index));
          P("vhost_vring_state.num", offsetof(struct vhost_vring_state, num));
          P("vhost_vring_addr.size", sizeof(struct vhost_vring_addr));
          P("vhost_vring_addr.index", offsetof(struct vhost_vring_addr, index));
          P("vhost_vring_addr.flags", offsetof(struct vhost_vring_addr, flags));
          P("vhost_vring_addr.desc_user_addr", offsetof(struct vhost_vring_addr, desc_user_addr));
          P("vhost_vring_addr.used_user_addr", offsetof(struct vhost_vring_addr, used_user_addr));
          P("vhost_vring_addr.avail_user_addr", offsetof(struct vhost_vring_addr, avail_user_addr));
          P("vhost_vring_addr.log_guest_addr", offsetof(struct vhost_vring_addr, log_guest_addr));
          P("1 << VHOST_VRING_F_LOG", 1 << VHOST_VRING_F_LOG);
          P("vhost_memory.regions", offsetof(struct vhost_memory, regions));
          P("vhost_memory_region.size", sizeof(struct vhost_memory_region));
          P("vhost_memory_region.guest_phys_addr", offsetof(struct vhost_memory_region, guest_phys_addr));
          P("vhost_memory_region.memory_size", offsetof(struct vhost_memory_region, memory_size));
          P("vhost_memory_region.userspace_addr", offsetof(struct vhost_memory_region, userspace_addr));
          P("vhost_memory_region.flags_padding", offsetof(struct vhost_memory_region, flags_padding));
          return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, long>> FromC = new(CompileAndRun);

    public static TheoryData<string, long> Ours() => new()
    {
        { "iovec.size", sizeof(Libc.IoVec) },
        { "iovec.len", Marshal.OffsetOf<Libc.IoVec>(nameof(Libc.IoVec.Length)) },
        { "msghdr.size", sizeof(Libc.MsgHdr) },
        { "msghdr.namelen", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.NameLength)) },
        { "msghdr.iov", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.Iov)) },
        { "msghdr.iovlen", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.IovLength)) },
        { "msghdr.control", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.Control)) },
        { "msghdr.controllen", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.ControlLength)) },
        { "msghdr.flags", Marshal.OffsetOf<Libc.MsgHdr>(nameof(Libc.MsgHdr.Flags)) },
        { "cmsghdr.size", sizeof(Libc.CmsgHdr) },
        { "cmsghdr.level", Marshal.OffsetOf<Libc.CmsgHdr>(nameof(Libc.CmsgHdr.Level)) },
        { "cmsghdr.type", Marshal.OffsetOf<Libc.CmsgHdr>(nameof(Libc.CmsgHdr.Type)) },
        { "CMSG_SPACE(4)", Libc.CmsgSpace(4) },
        { "CMSG_SPACE(64)", Libc.CmsgSpace(64) },
        { "CMSG_LEN(12)", Libc.CmsgLen(12) },
        { "epoll_event.size", Epoll.EventSize },
        { "epoll_event.data", Epoll.EventSize == 16 ? 8 : 4 },
        { "EPOLLIN", Epoll.EPOLLIN },
        { "EPOLL_CLOEXEC", Libc.EPOLL_CLOEXEC },
        { "EPOLL_CTL_ADD", Libc.EPOLL_CTL_ADD },
        { "EPOLL_CTL_DEL", Libc.EPOLL_CTL_DEL },
        { "EFD_CLOEXEC", Libc.EFD_CLOEXEC },
        { "EFD_NONBLOCK", Libc.EFD_NONBLOCK },
        { "MFD_CLOEXEC", Libc.MFD_CLOEXEC },
        { "MFD_ALLOW_SEALING", Libc.MFD_ALLOW_SEALING },
        { "F_ADD_SEALS", Libc.F_ADD_SEALS },
        { "F_SEAL_SEAL", Libc.F_SEAL_SEAL },
        { "F_SEAL_SHRINK", Libc.F_SEAL_SHRINK },
        { "F_SEAL_GROW", Libc.F_SEAL_GROW },
        { "PROT_READ", Libc.PROT_READ },
        { "PROT_WRITE", Libc.PROT_WRITE },
        { "MAP_SHARED", Libc.MAP_SHARED },
        { "SOL_SOCKET", Libc.SOL_SOCKET },
        { "O_RDONLY", Libc.O_RDONLY },
        { "O_DIRECTORY", Libc.O_DIRECTORY },
        { "O_CLOEXEC", Libc.O_CLOEXEC },
        { "SCM_RIGHTS", Libc.SCM_RIGHTS },
        { "MSG_DONTWAIT", Libc.MSG_DONTWAIT },
        { "MSG_NOSIGNAL", Libc.MSG_NOSIGNAL },
        { "MSG_CMSG_CLOEXEC", Libc.MSG_CMSG_CLOEXEC },
        { "MSG_CTRUNC", Libc.MSG_CTRUNC },
        { "EAGAIN", Libc.EAGAIN },
        { "EINTR", Libc.EINTR },
        { "SEEK_END", Libc.SEEK_END },
        // vhost-user payloads: encoded by hand, so where each field lands is found by writing it alone.
        { "vhost_vring_state.size", VringState.Size },
        { "vhost_vring_state.index", OffsetOf(b => new VringState(uint.MaxValue, 0).Write(b), VringState.Size) },
        { "vhost_vring_state.num", OffsetOf(b => new VringState(0, uint.MaxValue).Write(b), VringState.Size) },
        { "vhost_vring_addr.size", VringAddress.Size },
        { "vhost_vring_addr.index", OffsetOf(b => new VringAddress(uint.MaxValue, 0, 0, 0, 0, 0).Write(b), VringAddress.Size) },
        { "vhost_vring_addr.flags", OffsetOf(b => new VringAddress(0, uint.MaxValue, 0, 0, 0, 0).Write(b), VringAddress.Size) },
        { "vhost_vring_addr.desc_user_addr", OffsetOf(b => new VringAddress(0, 0, ulong.MaxValue, 0, 0, 0).Write(b), VringAddress.Size) },
        { "vhost_vring_addr.used_user_addr", OffsetOf(b => new VringAddress(0, 0, 0, ulong.MaxValue, 0, 0).Write(b), VringAddress.Size) },
        { "vhost_vring_addr.avail_user_addr", OffsetOf(b => new VringAddress(0, 0, 0, 0, ulong.MaxValue, 0).Write(b), VringAddress.Size) },
        { "vhost_vring_addr.log_guest_addr", OffsetOf(b => new VringAddress(0, 0, 0, 0, 0, ulong.MaxValue).Write(b), VringAddress.Size) },
        { "1 << VHOST_VRING_F_LOG", VringAddress.LogFlag },
        { "vhost_memory.regions", MemoryRegion.TableHeaderSize },
        { "vhost_memory_region.size", MemoryRegion.Size },
        { "vhost_memory_region.guest_phys_addr", OffsetOf(b => new MemoryRegion(ulong.MaxValue, 0, 0, 0).Write(b), MemoryRegion.Size) },
        { "vhost_memory_region.memory_size", OffsetOf(b => new MemoryRegion(0, ulong.MaxValue, 0, 0).Write(b), MemoryRegion.Size) },
        { "vhost_memory_region.userspace_addr", OffsetOf(b => new MemoryRegion(0, 0, ulong.MaxValue, 0).Write(b), MemoryRegion.Size) },
        // vhost-user's mmap_offset sits where the kernel's struct has flags_padding (reference 4.10).
        { "vhost_memory_region.flags_padding", OffsetOf(b => new MemoryRegion(0, 0, 0, ulong.MaxValue).Write(b), MemoryRegion.Size) },
    };

    /// <summary>The first byte a writer sets, writing a struct with one all-ones field into zeros.</summary>
    private static long OffsetOf(SpanWriter write, int size)
    {
        var bytes = new byte[size];
        write(bytes);
        return Array.FindIndex(bytes, b => b != 0);
    }

    private delegate void SpanWriter(Span<byte> destination);

    [Theory]
    [MemberData(nameof(Ours))]
    public void Matches_the_C_headers(string name, long ours)
    {
        Assert.True(FromC.Value.TryGetValue(name, out var theirs), $"the C program printed no {name}");
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Every_value_the_C_program_prints_is_compared()
        => Assert.Equal(FromC.Value.Keys.Order(), Ours().Select(row => (string)row[0]).Order());

    private static Dictionary<string, long> CompileAndRun()
    {
        var directory = Directory.CreateTempSubdirectory("vscmi-structs-");
        try
        {
            var source = Path.Combine(directory.FullName, "layout.c");
            var binary = Path.Combine(directory.FullName, "layout");
            File.WriteAllText(source, Program);
            Run("gcc", $"-o {binary} {source}");
            return Run(binary, "")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('='))
                .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed: {errors}");
        return output;
    }
}
