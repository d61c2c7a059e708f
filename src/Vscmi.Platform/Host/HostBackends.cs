using System.Globalization;
using Vscmi.Platform.Handlers;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.Host;

/// <summary>
/// The host resources behind a model: one backend per resource with a <c>backend</c>, by global id
/// (null where the resource is simulated). The poller reads the host with <see cref="Refresh"/>
/// off the dispatch lock, then applies what changed under it; handlers ask the backend before a
/// change and write through it only when the model says <c>control = true</c>.
/// </summary>
internal sealed class HostBackends
{
    public HostBackends(DeviceModel model, PlatformState state, HostFiles files)
    {
        Files = files;
        var host = model.Host;
        Perf = [.. model.PerfDomains.Select(d => d.Backend is { } b ? new CpufreqBackend(host, b, files, d.Opps) : null)];
        Clocks = [.. model.Clocks.Select(c => c.Backend is { } b ? new ClkBackend(host, b, files) : null)];
        Voltage = [.. model.VoltageDomains.Select(v => v.Backend is { } b ? new RegulatorBackend(host, b, files) : null)];
        Power = [.. model.PowerDomains.Select(p => p.Backend is { } b ? new RuntimePmBackend(host, b, files) : null)];
        Powercap = [.. model.PowercapDomains.Select(p => p.Backend is { } b ? new PowercapZoneBackend(host, b, files) : null)];
        Sensors = [.. state.Sensors.SelectMany(s => s.Axes.Length > 0 ? s.Axes : [s.Source]).OfType<HostSensorSource>()];
        Any = Perf.Any(b => b is not null) || Clocks.Any(b => b is not null) || Voltage.Any(b => b is not null)
            || Power.Any(b => b is not null) || Powercap.Any(b => b is not null) || Sensors.Any(s => s is not null);
    }

    /// <summary>Whether the model has any host resource (otherwise there is nothing to poll).</summary>
    public bool Any { get; }

    public HostFiles Files { get; }

    public CpufreqBackend?[] Perf { get; }

    public ClkBackend?[] Clocks { get; }

    public RegulatorBackend?[] Voltage { get; }

    public RuntimePmBackend?[] Power { get; }

    public PowercapZoneBackend?[] Powercap { get; }

    public HostSensorSource?[] Sensors { get; }

    /// <summary>
    /// Reads every host resource (sensors when their update interval has passed), without the
    /// platform lock; then, under it, moves the platform state to what the host reports and tells
    /// subscribers what changed (agent 0: the platform did it).
    /// </summary>
    public void Refresh(ScmiPlatform platform, bool force = false)
    {
        var now = platform.Uptime;
        foreach (var sensor in Sensors)
            sensor?.Refresh(now, force);
        foreach (var b in Perf)
            b?.Read();
        foreach (var b in Clocks)
            b?.Read();
        foreach (var b in Voltage)
            b?.Read();
        foreach (var b in Power)
            b?.Read();
        foreach (var b in Powercap)
            b?.Read();
        lock (platform.Sync)
        {
            if (!ReferenceEquals(platform.Host, this))
                return; // a reload replaced the model while we read
            var state = platform.State;
            var perfHandler = platform.Table.Handler((byte)ScmiProtocolId.PERF) as PerfHandler;
            for (var i = 0; i < Perf.Length; i++)
            {
                if (Perf[i] is { } b)
                    b.Apply(platform, perfHandler, i, state.Perf[i]);
            }

            for (var i = 0; i < Clocks.Length; i++)
            {
                if (Clocks[i] is { Reading: { } r })
                {
                    var clock = state.Clocks[i];
                    if (clock.Rate != r.Rate)
                    {
                        clock.Rate = r.Rate;
                        platform.Notify((byte)ClockMessageId.CLOCK_RATE_NOTIFY, (uint)i, new ClockMessages.ClockRateChanged(0, (uint)i, r.Rate));
                    }

                    clock.HostEnabled = r.Enabled;
                    if (r.Parent is { } parentName && platform.Model.Clocks[i].ParentIds.FirstOrDefault(p => platform.Model.Clocks[p].Name == parentName, -1) is var parent and >= 0)
                        clock.Parent = parent;
                }
            }

            for (var i = 0; i < Voltage.Length; i++)
            {
                if (Voltage[i] is { Reading: { } r })
                {
                    state.Voltage[i].Level = r.Microvolts ?? state.Voltage[i].Level;
                    state.Voltage[i].On = r.On ?? state.Voltage[i].On;
                }
            }

            for (var i = 0; i < Power.Length; i++)
            {
                if (Power[i] is { Reading: { } on } && state.Power[i].On != on)
                {
                    state.Power[i].On = on;
                    platform.Notify((byte)PowerMessageId.POWER_STATE_NOTIFY, (uint)i, new PowerMessages.PowerStateChanged(0, (uint)i, StateId: 0, StateType: on ? 0u : 1));
                }
            }

            for (var i = 0; i < Powercap.Length; i++)
            {
                if (Powercap[i] is { Reading: { } r })
                {
                    var cap = state.Powercap[i];
                    if (r.CapMw is { } capMw && cap.Cap != capMw)
                    {
                        cap.Cap = capMw;
                        platform.Notify((byte)PowercapMessageId.POWERCAP_CAP_NOTIFY, (uint)i, new PowercapMessages.PowercapCapChanged(0, (uint)i, capMw, cap.Pai));
                    }

                    if (r.PaiUs is { } pai && pai != 0)
                        cap.Pai = pai;
                    cap.HostPowerMw = r.PowerMw;
                }
            }
        }
    }
}

/// <summary>What every backend shares: its directory (found again while the host does not have it) and whether agents may change it.</summary>
internal abstract class HostBackend(HostModel host, HostBinding binding, HostFiles files)
{
    public HostBinding Binding { get; } = binding;

    public bool Control => Binding.Control;

    protected HostFiles Files { get; } = files;

    /// <summary>The resource's directory, or null (logged once) when the host does not have it now.</summary>
    protected string? Directory()
    {
        // Found once, and again only when it is gone: no class-directory listing every period.
        if (_directory is not null && System.IO.Directory.Exists(_directory))
            return _directory;
        if ((_directory = SysfsLayout.Resolve(host, Binding)) is { } dir)
            return dir;
        Files.Missing(SysfsLayout.Describe(host, Binding));
        return null;
    }

    private string? _directory;

    /// <summary>Writes one attribute of the resource (the caller checked <see cref="Control"/>).</summary>
    protected ScmiStatus WriteAttribute(string attribute, string value) =>
        Directory() is { } dir ? Files.Write(Path.Combine(dir, attribute), value) : ScmiStatus.HARDWARE_ERROR;

    protected long? ReadInteger(string dir, string attribute) =>
        Files.TryReadInteger(Path.Combine(dir, attribute), out var v) == ScmiStatus.SUCCESS ? v : null;

    protected string? ReadText(string dir, string attribute) =>
        Files.TryReadText(Path.Combine(dir, attribute), out var v) == ScmiStatus.SUCCESS ? v : null;

    protected static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A performance domain on a cpufreq policy (sysfs-devices-system-cpu): the level in force is the
/// OPP nearest <c>scaling_cur_freq</c>, limits follow <c>scaling_min_freq</c>/<c>scaling_max_freq</c>,
/// and a level is set through the userspace governor's <c>scaling_setspeed</c> (kHz).
/// </summary>
internal sealed class CpufreqBackend(HostModel host, HostBinding binding, HostFiles files, IReadOnlyList<OppModel> opps) : HostBackend(host, binding, files)
{
    public (uint CurKhz, uint? MinKhz, uint? MaxKhz)? Reading { get; private set; }

    public void Read()
    {
        if (Directory() is not { } dir || ReadInteger(dir, "scaling_cur_freq") is not { } cur)
        {
            Reading = null;
            return;
        }

        Reading = ((uint)Math.Clamp(cur, 0, uint.MaxValue), ReadInteger(dir, "scaling_min_freq") is { } min ? (uint)Math.Clamp(min, 0, uint.MaxValue) : null,
            ReadInteger(dir, "scaling_max_freq") is { } max ? (uint)Math.Clamp(max, 0, uint.MaxValue) : null);
    }

    /// <summary>The OPP whose frequency is nearest <paramref name="khz"/>.</summary>
    public uint NearestLevel(uint khz)
    {
        var best = opps[0];
        foreach (var opp in opps)
        {
            if (Math.Abs((long)opp.FrequencyKhz - khz) < Math.Abs((long)best.FrequencyKhz - khz))
                best = opp;
        }

        return best.Level;
    }

    public void Apply(ScmiPlatform platform, PerfHandler? handler, int domain, PerfState state)
    {
        if (Reading is not { } r)
            return;
        var min = r.MinKhz is { } lo ? opps.FirstOrDefault(o => o.FrequencyKhz >= lo, opps[^1]).Level : state.RangeMin;
        var max = r.MaxKhz is { } hi ? opps.LastOrDefault(o => o.FrequencyKhz <= hi, opps[0]).Level : state.RangeMax;
        if (max < min)
            max = min;
        if (min != state.RangeMin || max != state.RangeMax)
        {
            state.RangeMin = min;
            state.RangeMax = max;
            platform.Notify((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, (uint)domain, new PerfMessages.PerformanceLimitsChanged(0, (uint)domain, state.EffectiveMax, min));
        }

        var level = NearestLevel(r.CurKhz);
        if (level != state.Level)
            handler?.Observe(domain, level);
    }

    /// <summary>Moves the policy to an OPP's frequency: the userspace governor first (once), then scaling_setspeed.</summary>
    public ScmiStatus SetFrequency(uint khz)
    {
        if (Directory() is not { } dir)
            return ScmiStatus.HARDWARE_ERROR;
        if (ReadText(dir, "scaling_governor") is { } governor && governor != "userspace")
        {
            var status = Files.Write(Path.Combine(dir, "scaling_governor"), "userspace");
            if (status != ScmiStatus.SUCCESS)
                return status;
        }

        return Files.Write(Path.Combine(dir, "scaling_setspeed"), Decimal(khz));
    }

    /// <summary>Writes the policy's limits (kHz), in the order that keeps min ≤ max at every step.</summary>
    public ScmiStatus SetLimits(uint minKhz, uint maxKhz)
    {
        if (Directory() is not { } dir)
            return ScmiStatus.HARDWARE_ERROR;
        var lowerFirst = Reading is { MinKhz: { } oldMin } && minKhz < oldMin;
        (string, uint)[] writes = lowerFirst
            ? [("scaling_min_freq", minKhz), ("scaling_max_freq", maxKhz)]
            : [("scaling_max_freq", maxKhz), ("scaling_min_freq", minKhz)];
        foreach (var (attribute, value) in writes)
        {
            var status = Files.Write(Path.Combine(dir, attribute), Decimal(value));
            if (status != ScmiStatus.SUCCESS)
                return status;
        }

        return ScmiStatus.SUCCESS;
    }
}

/// <summary>
/// A clock in the common clock framework's debugfs (<c>clk/NAME/clk_rate</c>, <c>clk_enable_count</c>,
/// <c>clk_parent</c>). Rates are written to <c>clk_rate</c>, which kernels accept only when built with
/// CLOCK_ALLOW_WRITE_DEBUGFS (EPERM otherwise: DENIED); gating has no user-space interface.
/// </summary>
internal sealed class ClkBackend(HostModel host, HostBinding binding, HostFiles files) : HostBackend(host, binding, files)
{
    public (ulong Rate, bool Enabled, string? Parent)? Reading { get; private set; }

    public void Read()
    {
        if (Directory() is not { } dir || ReadInteger(dir, "clk_rate") is not { } rate)
        {
            Reading = null;
            return;
        }

        var enabled = ReadInteger(dir, "clk_enable_count") is > 0;
        var parent = HostFiles.Exists(Path.Combine(dir, "clk_parent")) ? ReadText(dir, "clk_parent") : null;
        Reading = ((ulong)Math.Max(0, rate), enabled, string.IsNullOrEmpty(parent) ? null : parent);
    }

    public ScmiStatus SetRate(ulong rate) => WriteAttribute("clk_rate", rate.ToString(CultureInfo.InvariantCulture));
}

/// <summary>
/// A voltage domain on a regulator (sysfs-class-regulator: <c>microvolts</c>, <c>state</c>). The
/// class has no writable attributes: turning it on and off goes through a reg-userspace-consumer's
/// <c>state</c> when the model names one; levels cannot be set from user space.
/// </summary>
internal sealed class RegulatorBackend(HostModel host, HostBinding binding, HostFiles files) : HostBackend(host, binding, files)
{
    private readonly HostModel _host = host;

    public (int? Microvolts, bool? On)? Reading { get; private set; }

    public void Read()
    {
        if (Directory() is not { } dir)
        {
            Reading = null;
            return;
        }

        int? uv = ReadInteger(dir, "microvolts") is { } v and >= int.MinValue and <= int.MaxValue ? (int)v : null;
        bool? on = ReadText(dir, "state") switch
        {
            "enabled" => true,
            "disabled" => false,
            _ => null,
        };
        Reading = (uv, on);
    }

    /// <summary>On or off through the consumer; NOT_SUPPORTED without one.</summary>
    public ScmiStatus SetOn(bool on)
    {
        if (Binding.Consumer is not { } consumer)
            return ScmiStatus.NOT_SUPPORTED;
        var dir = SysfsLayout.Device(_host, consumer);
        if (dir is null)
            return Files.Missing($"regulator consumer {Path.Combine(_host.Sysfs, consumer)}");
        return Files.Write(Path.Combine(dir, "state"), on ? "enabled" : "disabled");
    }
}

/// <summary>
/// A power domain on a device's runtime PM (sysfs-devices-power): on while <c>power/runtime_status</c>
/// is <c>active</c>; turning it on writes <c>on</c> to <c>power/control</c> (the device stays
/// resumed), off writes <c>auto</c> (the kernel may suspend it when idle).
/// </summary>
internal sealed class RuntimePmBackend(HostModel host, HostBinding binding, HostFiles files) : HostBackend(host, binding, files)
{
    public bool? Reading { get; private set; }

    public void Read()
    {
        Reading = Directory() is { } dir ? ReadText(dir, Path.Combine("power", "runtime_status")) switch
        {
            "active" or "resuming" => true,
            "suspended" or "suspending" => false,
            _ => null, // "unsupported": runtime PM is off for the device
        } : null;
    }

    public ScmiStatus SetOn(bool on) => WriteAttribute(Path.Combine("power", "control"), on ? "on" : "auto");
}

/// <summary>
/// A power capping domain on a powercap zone (sysfs-class-powercap): the cap is
/// <c>constraint_0_power_limit_uw</c>, the averaging interval <c>constraint_0_time_window_us</c>, and
/// the measured power <c>power_uw</c>, or the change of <c>energy_uj</c> between two reads.
/// </summary>
internal sealed class PowercapZoneBackend(HostModel host, HostBinding binding, HostFiles files) : HostBackend(host, binding, files)
{
    private (long EnergyUj, long Timestamp)? _lastEnergy;

    public (uint? CapMw, uint? PaiUs, uint? PowerMw)? Reading { get; private set; }

    public void Read()
    {
        if (Directory() is not { } dir)
        {
            Reading = null;
            return;
        }

        uint? cap = ReadInteger(dir, "constraint_0_power_limit_uw") is { } uw and >= 0 ? (uint)Math.Min(uw / 1000, uint.MaxValue) : null;
        uint? pai = HostFiles.Exists(Path.Combine(dir, "constraint_0_time_window_us")) && ReadInteger(dir, "constraint_0_time_window_us") is { } us and >= 0
            ? (uint)Math.Min(us, uint.MaxValue) : null;
        uint? power = null;
        if (HostFiles.Exists(Path.Combine(dir, "power_uw")))
        {
            power = ReadInteger(dir, "power_uw") is { } p and >= 0 ? (uint)Math.Min(p / 1000, uint.MaxValue) : null;
        }
        else if (HostFiles.Exists(Path.Combine(dir, "energy_uj")) && ReadInteger(dir, "energy_uj") is { } energy)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (_lastEnergy is { } last && energy >= last.EnergyUj && now > last.Timestamp)
            {
                var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(last.Timestamp, now).TotalSeconds;
                power = (uint)Math.Min((energy - last.EnergyUj) / 1000.0 / seconds, uint.MaxValue);
            }

            _lastEnergy = (energy, now);
        }

        Reading = (cap, pai, power);
    }

    public ScmiStatus SetCap(uint capMw) => WriteAttribute("constraint_0_power_limit_uw", Decimal(capMw * 1000L));

    public ScmiStatus SetPai(uint paiUs) => WriteAttribute("constraint_0_time_window_us", Decimal(paiUs));
}
