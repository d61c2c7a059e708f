using Vscmi.VhostUser;
using Vscmi.Virtio;

namespace Vscmi.Integration.Tests;

/// <summary>
/// Six ways a hostile driver breaks its command queue (virtio 1.2 §2.7: descriptors, chains,
/// flags, the available index), shared by the integration tests and the soak (linked into
/// tests/soak/Vscmi.Soak).
/// </summary>
internal static class HostileRings
{
    /// <summary>The six kinds, by name.</summary>
    public static readonly string[] Kinds =
    [
        "address outside memory", "descriptor loop", "chain longer than the queue", "read/write flags swapped",
        "response buffer too small", "available index jumping ahead",
    ];

    /// <summary>
    /// Writes a BASE_PROTOCOL_VERSION request and the broken ring of <paramref name="kind"/> on a
    /// frontend's command queue (64 entries), then kicks it. True when the device must be marked
    /// broken; false for a reply buffer too small, which is refused with an empty used entry and
    /// the device goes on.
    /// </summary>
    public static bool Break(VhostUserFrontend frontend, string kind)
    {
        var q = frontend.CommandQueue!;
        var request = new GuestAddress(frontend.Options.MemoryBase + 0x80000);
        var response = new GuestAddress(request.Value + 256);
        frontend.Memory.TryWrite(request, BitConverter.GetBytes(0x10u << 10)); // BASE_PROTOCOL_VERSION
        const ushort next = SplitRing.VIRTQ_DESC_F_NEXT;
        const ushort write = SplitRing.VIRTQ_DESC_F_WRITE;
        var breaks = true;
        switch (kind)
        {
            case "address outside memory":
                q.WriteDescriptor(0, new GuestAddress(0x10), 4, next, 1);
                q.WriteDescriptor(1, response, 136, write, 0);
                q.Publish(0);
                break;
            case "descriptor loop":
                q.WriteDescriptor(0, request, 4, next, 1);
                q.WriteDescriptor(1, request, 4, next, 0);
                q.Publish(0);
                break;
            case "chain longer than the queue":
                for (var i = 0; i < 64; i++)
                    q.WriteDescriptor(i, request, 1, next, (ushort)((i + 1) % 64));
                q.Publish(0);
                break;
            case "read/write flags swapped":
                q.WriteDescriptor(0, response, 136, write | next, 1);
                q.WriteDescriptor(1, request, 4, 0, 0);
                q.Publish(0);
                break;
            case "response buffer too small":
                q.WriteDescriptor(0, request, 4, next, 1);
                q.WriteDescriptor(1, response, 4, write, 0);
                q.Publish(0);
                breaks = false;
                break;
            case "available index jumping ahead":
                q.SetAvailIndex(1000);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"not one of: {string.Join(", ", Kinds)}");
        }

        frontend.Kicks[0].Signal();
        return breaks;
    }
}
