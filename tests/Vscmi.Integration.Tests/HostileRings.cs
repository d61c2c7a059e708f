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
                q.PublishRaw(new(new GuestAddress(0x10), 4, next), new(response, 136, write));
                break;
            case "descriptor loop":
                q.PublishRaw(new(request, 4, next), new(request, 4, next));
                break;
            case "chain longer than the queue":
                q.PublishRaw([.. Enumerable.Repeat(new RawDescriptor(request, 1, next), 64)]);
                break;
            case "read/write flags swapped":
                q.PublishRaw(new(response, 136, (ushort)(write | next)), new(request, 4, 0));
                break;
            case "response buffer too small":
                q.PublishRaw(new(request, 4, next), new(response, 4, write));
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
