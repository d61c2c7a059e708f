using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>Performance domain management (0x13, v4.0 layouts).</summary>
public sealed class PerfClient : ProtocolClient
{
    internal PerfClient(ScmiClient client)
        : base(client, ScmiProtocolId.PERF)
    {
    }

    /// <summary>Number of performance domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>PERFORMANCE_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<PerfDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PerfMessageId.PERFORMANCE_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PerfMessageId.PERFORMANCE_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new PerfDomainInfo(domainId, name, a.GetUInt64("set_limits") != 0, a.GetUInt64("set_level") != 0,
            (uint)a.GetUInt64("rate_limit_us"), (uint)a.GetUInt64("sustained_freq_khz"), (uint)a.GetUInt64("sustained_perf_level"));
    }

    /// <summary>PERFORMANCE_DESCRIBE_LEVELS, every part.</summary>
    public async IAsyncEnumerable<PerfLevel> DescribeLevelsAsync(uint domainId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var l in ListAsync((byte)PerfMessageId.PERFORMANCE_DESCRIBE_LEVELS, "level_index", "levels", _ => [("domain_id", domainId)], cancellationToken).ConfigureAwait(false))
        {
            yield return new PerfLevel((uint)l.GetUInt64("performance_level"), (uint)l.GetUInt64("power_cost"), (uint)l.GetUInt64("transition_latency_us"),
                (uint)l.ValueOrZero("indicative_frequency_khz"), (uint)l.ValueOrZero("level_index"));
        }
    }

    /// <summary>PERFORMANCE_LIMITS_SET.</summary>
    public Task SetLimitsAsync(uint domainId, uint rangeMax, uint rangeMin, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PerfMessageId.PERFORMANCE_LIMITS_SET, cancellationToken, ("domain_id", domainId), ("range_max", rangeMax), ("range_min", rangeMin));

    /// <summary>PERFORMANCE_LIMITS_GET.</summary>
    public async Task<(uint Max, uint Min)> GetLimitsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var l = await CallAsync((byte)PerfMessageId.PERFORMANCE_LIMITS_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        return ((uint)l.GetUInt64("range_max"), (uint)l.GetUInt64("range_min"));
    }

    /// <summary>PERFORMANCE_LEVEL_SET.</summary>
    public Task SetLevelAsync(uint domainId, uint level, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PerfMessageId.PERFORMANCE_LEVEL_SET, cancellationToken, ("domain_id", domainId), ("performance_level", level));

    /// <summary>PERFORMANCE_LEVEL_GET.</summary>
    public async Task<uint> GetLevelAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)PerfMessageId.PERFORMANCE_LEVEL_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("performance_level");

    /// <summary>PERFORMANCE_NOTIFY_LIMITS.</summary>
    public Task NotifyLimitsAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PerfMessageId.PERFORMANCE_NOTIFY_LIMITS, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    /// <summary>PERFORMANCE_NOTIFY_LEVEL.</summary>
    public Task NotifyLevelAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PerfMessageId.PERFORMANCE_NOTIFY_LEVEL, cancellationToken, ("domain_id", domainId), ("notify_enable", enable ? 1u : 0));

    /// <summary>PERFORMANCE_DESCRIBE_FASTCHANNEL, as decoded fields.</summary>
    public Task<Protocol.Schema.FieldSet> DescribeFastChannelAsync(uint domainId, uint messageId, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PerfMessageId.PERFORMANCE_DESCRIBE_FASTCHANNEL, cancellationToken, ("domain_id", domainId), ("message_id", messageId));
}

/// <summary>A performance domain.</summary>
public sealed record PerfDomainInfo(uint Id, string Name, bool CanSetLimits, bool CanSetLevel, uint RateLimitUs, uint SustainedFrequencyKhz, uint SustainedLevel);

/// <summary>A performance level (v4.0 entry).</summary>
public sealed record PerfLevel(uint Level, uint PowerCost, uint LatencyUs, uint IndicativeFrequencyKhz, uint Index);
