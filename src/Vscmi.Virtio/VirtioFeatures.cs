namespace Vscmi.Virtio;

/// <summary>Feature bits (VIRTIO 1.3 "Reserved Feature Bits" and 5.17.3; reference 4.1, 4.8).</summary>
public static class VirtioFeatures
{
    /// <summary>Bit 0: the device sends notifications or delayed responses; the eventq exists.</summary>
    public const ulong VIRTIO_SCMI_F_P2A_CHANNELS = 1UL << 0;

    /// <summary>Bit 1: statistics shared memory regions (not offered: Linux does not negotiate it).</summary>
    public const ulong VIRTIO_SCMI_F_SHARED_MEMORY = 1UL << 1;

    /// <summary>Bit 24 (legacy).</summary>
    public const ulong VIRTIO_F_NOTIFY_ON_EMPTY = 1UL << 24;

    /// <summary>Bit 28: indirect descriptor tables.</summary>
    public const ulong VIRTIO_RING_F_INDIRECT_DESC = 1UL << 28;

    /// <summary>Bit 29: used_event / avail_event suppression.</summary>
    public const ulong VIRTIO_RING_F_EVENT_IDX = 1UL << 29;

    /// <summary>Bit 30: vhost-user only, never seen by the guest.</summary>
    public const ulong VHOST_USER_F_PROTOCOL_FEATURES = 1UL << 30;

    /// <summary>Bit 32: a modern (1.0+) device; Linux's SCMI driver requires it.</summary>
    public const ulong VIRTIO_F_VERSION_1 = 1UL << 32;

    /// <summary>What the virtio-scmi device offers: exactly the bits QEMU's vhost-user-scmi passes through that we implement.</summary>
    public const ulong ScmiDevice = VIRTIO_F_VERSION_1 | VIRTIO_SCMI_F_P2A_CHANNELS | VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_RING_F_EVENT_IDX;

    /// <summary>The bits' spec names, for logs.</summary>
    public static string Describe(ulong features)
    {
        var names = new List<string>();
        void Add(ulong bit, string name)
        {
            if ((features & bit) != 0)
            {
                names.Add(name);
                features &= ~bit;
            }
        }

        Add(VIRTIO_SCMI_F_P2A_CHANNELS, "P2A_CHANNELS");
        Add(VIRTIO_SCMI_F_SHARED_MEMORY, "SHARED_MEMORY");
        Add(VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY");
        Add(VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC");
        Add(VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX");
        Add(VHOST_USER_F_PROTOCOL_FEATURES, "PROTOCOL_FEATURES");
        Add(VIRTIO_F_VERSION_1, "VERSION_1");
        if (features != 0)
            names.Add($"0x{features:X}");
        return names.Count == 0 ? "none" : string.Join('|', names);
    }
}
