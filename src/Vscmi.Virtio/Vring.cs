namespace Vscmi.Virtio;

/// <summary>
/// One virtqueue as its transport configures it: size, guest-physical ring addresses, where
/// processing starts, and the two switches that must both be on before it runs (vhost-user: the
/// ring is enabled, and started by its kick fd; reference 4.10). The device owns one per queue and
/// is the only place this state lives; the transport keeps only its own file descriptors.
/// </summary>
public sealed class Vring
{
    /// <summary>Queue size (descriptors); 0 until set.</summary>
    public int Size { get; internal set; }

    /// <summary>The descriptor table's guest-physical address.</summary>
    public GuestAddress Descriptors { get; internal set; }

    /// <summary>The available ring's guest-physical address.</summary>
    public GuestAddress Avail { get; internal set; }

    /// <summary>The used ring's guest-physical address.</summary>
    public GuestAddress Used { get; internal set; }

    /// <summary>Whether the addresses were set.</summary>
    public bool HasAddresses { get; internal set; }

    /// <summary>The next available entry to process when the queue starts (vhost-user SET/GET_VRING_BASE).</summary>
    public ushort Base { get; internal set; }

    /// <summary>Whether the transport enabled the ring.</summary>
    public bool Enabled { get; internal set; }

    /// <summary>Whether the transport started the ring (vhost-user: its kick fd arrived).</summary>
    public bool Started { get; internal set; }

    /// <summary>Size and addresses are known.</summary>
    internal bool IsComplete => Size != 0 && HasAddresses;

    /// <summary>Back to what a device reset leaves: not started, not enabled, processing from 0 (size and addresses stay).</summary>
    internal void Reset()
    {
        Started = false;
        Enabled = false;
        Base = 0;
    }
}
