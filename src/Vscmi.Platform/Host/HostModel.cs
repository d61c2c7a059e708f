namespace Vscmi.Platform.Model;

/// <summary>
/// Where host backends find the kernel's interfaces (<c>[host]</c> in the model; <c>vscmi serve
/// --sysfs</c> overrides). Tests point both at trees of their own laid out as the kernel's ABI
/// documents them.
/// </summary>
/// <param name="Sysfs">The sysfs mount (default <c>/sys</c>).</param>
/// <param name="Debugfs">The debugfs mount (default <c>/sys/kernel/debug</c>; clocks live in its <c>clk/</c>).</param>
public sealed record HostModel(string Sysfs = "/sys", string Debugfs = "/sys/kernel/debug")
{
    /// <summary>The kernel's own mounts.</summary>
    public static HostModel Default { get; } = new();

    /// <summary>The same layout under another sysfs root: debugfs follows it when it was the default.</summary>
    public HostModel WithSysfs(string root) =>
        root == Default.Sysfs ? this : new(root, Debugfs == Default.Debugfs ? Path.Combine(root, "kernel", "debug") : Debugfs);
}

/// <summary>The kind of host interface behind a resource (docs/host-backends.md).</summary>
public enum HostBackendKind
{
    /// <summary>A performance domain backed by a cpufreq policy (<c>/sys/devices/system/cpu/cpufreq/policyN</c>).</summary>
    Cpufreq,
    /// <summary>A clock backed by the common clock framework's debugfs (<c>clk/NAME/clk_rate</c>).</summary>
    Clk,
    /// <summary>A voltage domain backed by a regulator (<c>/sys/class/regulator/regulator.N</c> named NAME).</summary>
    Regulator,
    /// <summary>A power domain backed by a device's runtime PM (<c>DEVICE/power/runtime_status</c>).</summary>
    RuntimePm,
    /// <summary>A power capping domain backed by a powercap zone (<c>/sys/class/powercap/ZONE</c>).</summary>
    Powercap,
}

/// <summary>
/// A resource whose state lives on the host: the interface, which instance of it, and whether
/// agents may change it. Without <paramref name="Control"/> the host is only read, and a request
/// to change the resource answers DENIED.
/// </summary>
/// <param name="Kind">The host interface.</param>
/// <param name="Target">Which one: a cpufreq policy (<c>policy0</c>), a clock name, a regulator name, a device path under sysfs, a powercap zone.</param>
/// <param name="Control">Whether agents' requests are written to the host (<c>control = true</c>).</param>
/// <param name="Consumer">A regulator's userspace-consumer device under sysfs, whose <c>state</c> turns it on and off.</param>
public sealed record HostBinding(HostBackendKind Kind, string Target, bool Control, string? Consumer = null);
