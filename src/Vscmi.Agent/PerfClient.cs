using static Vscmi.Protocol.Messages.PerfMessages;

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
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumDomains;

    /// <summary>PERFORMANCE_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<PerfDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new PerformanceDomainAttributesRequest(domainId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new PerformanceDomainNameGetRequest(domainId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new PerfDomainInfo(domainId, name, a.SetLimits, a.SetLevel, a.RateLimitUs, a.SustainedFreqKhz, a.SustainedPerfLevel);
    }

    /// <summary>PERFORMANCE_DESCRIBE_LEVELS, every part.</summary>
    public async IAsyncEnumerable<PerfLevel> DescribeLevelsAsync(uint domainId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var l in ListAsync(index => new PerformanceDescribeLevelsRequest(domainId, index), r => (r.Levels, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return new PerfLevel(l.PerformanceLevel, l.PowerCost, l.TransitionLatencyUs, l.IndicativeFrequencyKhz ?? 0, l.LevelIndex ?? 0);
    }

    /// <summary>PERFORMANCE_LIMITS_SET.</summary>
    public Task SetLimitsAsync(uint domainId, uint rangeMax, uint rangeMin, CancellationToken cancellationToken = default) =>
        CallAsync(new PerformanceLimitsSetRequest(domainId, rangeMax, rangeMin), cancellationToken);

    /// <summary>PERFORMANCE_LIMITS_GET.</summary>
    public async Task<(uint Max, uint Min)> GetLimitsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var l = await CallAsync(new PerformanceLimitsGetRequest(domainId), cancellationToken).ConfigureAwait(false);
        return (l.RangeMax, l.RangeMin);
    }

    /// <summary>PERFORMANCE_LEVEL_SET.</summary>
    public Task SetLevelAsync(uint domainId, uint level, CancellationToken cancellationToken = default) =>
        CallAsync(new PerformanceLevelSetRequest(domainId, level), cancellationToken);

    /// <summary>PERFORMANCE_LEVEL_GET.</summary>
    public async Task<uint> GetLevelAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new PerformanceLevelGetRequest(domainId), cancellationToken).ConfigureAwait(false)).PerformanceLevel;

    /// <summary>PERFORMANCE_NOTIFY_LIMITS.</summary>
    public Task NotifyLimitsAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new PerformanceNotifyLimitsRequest(domainId, enable), cancellationToken);

    /// <summary>PERFORMANCE_NOTIFY_LEVEL.</summary>
    public Task NotifyLevelAsync(uint domainId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new PerformanceNotifyLevelRequest(domainId, enable), cancellationToken);

    /// <summary>PERFORMANCE_DESCRIBE_FASTCHANNEL.</summary>
    public Task<PerformanceDescribeFastchannelResponse> DescribeFastChannelAsync(uint domainId, uint messageId, CancellationToken cancellationToken = default) =>
        CallAsync(new PerformanceDescribeFastchannelRequest(domainId, messageId), cancellationToken);
}

/// <summary>A performance domain.</summary>
public sealed record PerfDomainInfo(uint Id, string Name, bool CanSetLimits, bool CanSetLevel, uint RateLimitUs, uint SustainedFrequencyKhz, uint SustainedLevel);

/// <summary>A performance level (v4.0 entry).</summary>
public sealed record PerfLevel(uint Level, uint PowerCost, uint LatencyUs, uint IndicativeFrequencyKhz, uint Index);
