using System.Buffers.Binary;

namespace Vscmi.VhostUser;

/// <summary>Frontend-to-backend request codes (QEMU docs/interop/vhost-user.rst; reference 4.10).</summary>
public enum VhostUserRequest : uint
{
#pragma warning disable CS1591 // The spec's names are the documentation.
    NONE = 0,
    GET_FEATURES = 1,
    SET_FEATURES = 2,
    SET_OWNER = 3,
    RESET_OWNER = 4,
    SET_MEM_TABLE = 5,
    SET_LOG_BASE = 6,
    SET_LOG_FD = 7,
    SET_VRING_NUM = 8,
    SET_VRING_ADDR = 9,
    SET_VRING_BASE = 10,
    GET_VRING_BASE = 11,
    SET_VRING_KICK = 12,
    SET_VRING_CALL = 13,
    SET_VRING_ERR = 14,
    GET_PROTOCOL_FEATURES = 15,
    SET_PROTOCOL_FEATURES = 16,
    GET_QUEUE_NUM = 17,
    SET_VRING_ENABLE = 18,
    SEND_RARP = 19,
    NET_SET_MTU = 20,
    SET_BACKEND_REQ_FD = 21,
    IOTLB_MSG = 22,
    SET_VRING_ENDIAN = 23,
    GET_CONFIG = 24,
    SET_CONFIG = 25,
    CREATE_CRYPTO_SESSION = 26,
    CLOSE_CRYPTO_SESSION = 27,
    POSTCOPY_ADVISE = 28,
    POSTCOPY_LISTEN = 29,
    POSTCOPY_END = 30,
    GET_INFLIGHT_FD = 31,
    SET_INFLIGHT_FD = 32,
    GPU_SET_SOCKET = 33,
    RESET_DEVICE = 34,
    VRING_KICK = 35,
    GET_MAX_MEM_SLOTS = 36,
    ADD_MEM_REG = 37,
    REM_MEM_REG = 38,
    SET_STATUS = 39,
    GET_STATUS = 40,
#pragma warning restore CS1591
}

/// <summary>Protocol feature bits (GET/SET_PROTOCOL_FEATURES; reference 4.10).</summary>
public static class VhostUserProtocolFeatures
{
    /// <summary>Bit 0: GET_QUEUE_NUM.</summary>
    public const ulong MQ = 1UL << 0;

    /// <summary>Bit 3: NEED_REPLY acknowledgements.</summary>
    public const ulong REPLY_ACK = 1UL << 3;

    /// <summary>Bit 13: RESET_DEVICE.</summary>
    public const ulong RESET_DEVICE = 1UL << 13;

    /// <summary>Bit 16: SET_STATUS / GET_STATUS.</summary>
    public const ulong STATUS = 1UL << 16;

    /// <summary>What the SCMI backend offers: the queue count, acknowledgements, device reset and status.</summary>
    public const ulong ScmiBackend = MQ | REPLY_ACK | RESET_DEVICE | STATUS;
}

/// <summary>The 12-byte message header and payload helpers.</summary>
public static class VhostUserWire
{
    /// <summary>Header bytes: request, flags, size.</summary>
    public const int HeaderSize = 12;

    /// <summary>Flags bits 1:0: the only protocol version, 1.</summary>
    public const uint Version = 0x1;

    /// <summary>Flags bit 2: a backend reply.</summary>
    public const uint ReplyFlag = 0x4;

    /// <summary>Flags bit 3: the frontend wants an acknowledgement.</summary>
    public const uint NeedReplyFlag = 0x8;

    /// <summary>
    /// Largest payload we accept. The largest message SCMI needs is a memory table of 8 regions
    /// (8 + 8 × 32 = 264 bytes); anything near this limit is a broken or hostile frontend.
    /// </summary>
    public const int MaxPayload = 4096;

    /// <summary>Most memory regions in one table (QEMU's VHOST_MEMORY_BASELINE_NREGIONS).</summary>
    public const int MaxRegions = 8;

    /// <summary>vring fd messages: bit 8 of the u64 says "no fd attached".</summary>
    public const ulong VringNoFdMask = 0x100;

    /// <summary>vring fd messages: bits 7:0 are the ring index.</summary>
    public const ulong VringIndexMask = 0xFF;

    /// <summary>Writes a header.</summary>
    public static void WriteHeader(Span<byte> destination, VhostUserRequest request, uint flags, int size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)request);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)size);
    }

    /// <summary>Whether a request may carry file descriptors (reference 4.10 reply rules).</summary>
    public static bool MayCarryDescriptors(VhostUserRequest request) => request is
        VhostUserRequest.SET_MEM_TABLE or VhostUserRequest.ADD_MEM_REG or VhostUserRequest.SET_LOG_BASE or
        VhostUserRequest.SET_LOG_FD or VhostUserRequest.SET_VRING_KICK or VhostUserRequest.SET_VRING_CALL or
        VhostUserRequest.SET_VRING_ERR or VhostUserRequest.SET_BACKEND_REQ_FD or VhostUserRequest.SET_INFLIGHT_FD or
        VhostUserRequest.GPU_SET_SOCKET;

    /// <summary>Requests that always get a reply, whatever the flags (reference 4.10 reply rules).</summary>
    public static bool HasReply(VhostUserRequest request) => request is
        VhostUserRequest.GET_FEATURES or VhostUserRequest.GET_PROTOCOL_FEATURES or VhostUserRequest.GET_VRING_BASE or
        VhostUserRequest.GET_QUEUE_NUM or VhostUserRequest.GET_CONFIG or VhostUserRequest.GET_MAX_MEM_SLOTS or
        VhostUserRequest.GET_STATUS;

    /// <summary>The exact payload size of a request we implement, or -1 when it varies (memory table) or we do not implement it.</summary>
    public static int PayloadSize(VhostUserRequest request) => request switch
    {
        VhostUserRequest.GET_FEATURES or VhostUserRequest.SET_OWNER or VhostUserRequest.RESET_OWNER or
        VhostUserRequest.GET_PROTOCOL_FEATURES or VhostUserRequest.GET_QUEUE_NUM or VhostUserRequest.RESET_DEVICE or
        VhostUserRequest.GET_STATUS => 0,
        // A u64, or a vring state (index u32, num u32).
        VhostUserRequest.SET_FEATURES or VhostUserRequest.SET_PROTOCOL_FEATURES or VhostUserRequest.SET_VRING_KICK or
        VhostUserRequest.SET_VRING_CALL or VhostUserRequest.SET_VRING_ERR or VhostUserRequest.SET_STATUS or
        VhostUserRequest.SET_VRING_NUM or VhostUserRequest.SET_VRING_BASE or VhostUserRequest.GET_VRING_BASE or
        VhostUserRequest.SET_VRING_ENABLE => 8,
        VhostUserRequest.SET_VRING_ADDR => 40,
        _ => -1,
    };
}

/// <summary>
/// One received message: header fields, payload, and the descriptors that came with it. The
/// message owns them until a handler takes one (<see cref="TakeDescriptor"/>,
/// <see cref="TakeSingle"/>); whatever nobody took is closed with the message.
/// </summary>
public sealed class VhostUserMessage : IDisposable
{
    private readonly List<Linux.FileDescriptor?> _descriptors;

    internal VhostUserMessage(VhostUserRequest request, uint flags, byte[] payload, List<Linux.FileDescriptor> descriptors)
    {
        Request = request;
        Flags = flags;
        Payload = payload;
        _descriptors = [.. descriptors];
    }

    /// <summary>The request code.</summary>
    public VhostUserRequest Request { get; }

    /// <summary>The flags word.</summary>
    public uint Flags { get; }

    /// <summary>The payload.</summary>
    public byte[] Payload { get; }

    /// <summary>How many descriptors came with the message.</summary>
    public int DescriptorCount => _descriptors.Count;

    /// <summary>Whether the frontend asked for an acknowledgement.</summary>
    public bool NeedsReply => (Flags & VhostUserWire.NeedReplyFlag) != 0;

    /// <summary>Takes descriptor <paramref name="index"/>: the caller owns (and closes) it from now on.</summary>
    /// <exception cref="InvalidOperationException">It was taken already.</exception>
    public Linux.FileDescriptor TakeDescriptor(int index)
    {
        var fd = _descriptors[index] ?? throw new InvalidOperationException($"descriptor {index} of {Request} was taken already");
        _descriptors[index] = null;
        return fd;
    }

    /// <summary>Descriptor <paramref name="index"/>, still owned by the message (null when taken): to look at before taking.</summary>
    public Linux.FileDescriptor? PeekDescriptor(int index) => _descriptors[index];

    /// <summary>Takes the one descriptor a message carries.</summary>
    /// <exception cref="InvalidOperationException">The message carries none or several.</exception>
    public Linux.FileDescriptor TakeSingle() => _descriptors.Count == 1
        ? TakeDescriptor(0)
        : throw new InvalidOperationException($"{Request} carries {_descriptors.Count} descriptors, not one");

    /// <summary>Closes descriptors nobody took.</summary>
    public void Dispose()
    {
        for (var i = 0; i < _descriptors.Count; i++)
        {
            _descriptors[i]?.Dispose();
            _descriptors[i] = null;
        }
    }
}
