using static Vscmi.Protocol.Messages.ClockMessages;

namespace Vscmi.Agent;

/// <summary>How CLOCK_RATE_SET rounds a rate the clock cannot take exactly.</summary>
public enum ClockRounding
{
    /// <summary>The nearest rate below.</summary>
    Down = 0,
    /// <summary>The nearest rate above.</summary>
    Up = 1,
    /// <summary>The closest rate.</summary>
    Closest = 2,
}

/// <summary>Clock management (0x14, v3.0 layouts).</summary>
public sealed class ClockClient : ProtocolClient
{
    internal ClockClient(ScmiClient client)
        : base(client, ScmiProtocolId.CLOCK)
    {
    }

    /// <summary>Number of clocks.</summary>
    public async Task<int> GetClockCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumClocks;

    /// <summary>CLOCK_ATTRIBUTES (+ CLOCK_NAME_GET for long names).</summary>
    public async Task<ClockInfo> GetClockAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new ClockAttributesRequest(clockId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new ClockNameGetRequest(clockId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new ClockInfo(clockId, name, a.Enabled, a.Parents == true, a.Restricted == true, a.ClockEnableDelayUs ?? 0);
    }

    /// <summary>CLOCK_DESCRIBE_RATES, every part: a discrete list or one range.</summary>
    public async Task<ClockRates> DescribeRatesAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var rates = new List<ulong>();
        for (var index = 0; ;)
        {
            var reply = await CallAsync(new ClockDescribeRatesRequest(clockId, (uint)index), cancellationToken).ConfigureAwait(false);
            var part = reply.Rates;
            if (reply.Format == 1)
                return new ClockRates(null, part.Count == 3 ? (part[0], part[1], part[2]) : throw new ScmiClientException("CLOCK_DESCRIBE_RATES: a range must be one triplet"));
            rates.AddRange(part);
            index += part.Count;
            if (part.Count == 0 || reply.Remaining == 0)
                return new ClockRates(rates, null);
        }
    }

    /// <summary>CLOCK_RATE_SET, synchronous.</summary>
    public Task SetRateAsync(uint clockId, ulong rate, ClockRounding rounding = ClockRounding.Closest, CancellationToken cancellationToken = default) =>
        CallAsync(new ClockRateSetRequest(Async: false, IgnoreDelayedResponse: false, (uint)rounding, clockId, rate), cancellationToken);

    /// <summary>CLOCK_RATE_SET with the asynchronous flag: completes with the rate the delayed response reports.</summary>
    public async Task<ulong> SetRateAndWaitAsync(uint clockId, ulong rate, ClockRounding rounding = ClockRounding.Closest, CancellationToken cancellationToken = default) =>
        (await CallAndWaitAsync<ClockRateSetDelayed>(new ClockRateSetRequest(Async: true, IgnoreDelayedResponse: false, (uint)rounding, clockId, rate), cancellationToken)
            .ConfigureAwait(false)).Rate;

    /// <summary>CLOCK_RATE_GET.</summary>
    public async Task<ulong> GetRateAsync(uint clockId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new ClockRateGetRequest(clockId), cancellationToken).ConfigureAwait(false)).Rate;

    /// <summary>CLOCK_CONFIG_SET: enable or disable.</summary>
    public Task SetEnabledAsync(uint clockId, bool enabled, CancellationToken cancellationToken = default) =>
        CallAsync(new ClockConfigSetRequest(clockId, enabled ? 1u : 0, ExtendedConfigType: 0, ExtendedConfigVal: 0), cancellationToken);

    /// <summary>CLOCK_CONFIG_GET: enabled, and the value of an extended configuration type.</summary>
    public async Task<(bool Enabled, uint ExtendedValue)> GetConfigAsync(uint clockId, byte extendedType = 0, CancellationToken cancellationToken = default)
    {
        var c = await CallAsync(new ClockConfigGetRequest(clockId, extendedType), cancellationToken).ConfigureAwait(false);
        return (c.Enabled, c.ExtendedConfigVal);
    }

    /// <summary>CLOCK_RATE_NOTIFY.</summary>
    public Task NotifyRateAsync(uint clockId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new ClockRateNotifyRequest(clockId, enable), cancellationToken);

    /// <summary>CLOCK_RATE_CHANGE_REQUESTED_NOTIFY.</summary>
    public Task NotifyRateChangeRequestedAsync(uint clockId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync(new ClockRateChangeRequestedNotifyRequest(clockId, enable), cancellationToken);

    /// <summary>CLOCK_POSSIBLE_PARENTS_GET, every part.</summary>
    public async IAsyncEnumerable<uint> GetPossibleParentsAsync(uint clockId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var p in ListAsync(skip => new ClockPossibleParentsGetRequest(clockId, skip), r => (r.Parents, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return (uint)p;
    }

    /// <summary>CLOCK_PARENT_SET.</summary>
    public Task SetParentAsync(uint clockId, uint parentId, CancellationToken cancellationToken = default) =>
        CallAsync(new ClockParentSetRequest(clockId, parentId), cancellationToken);

    /// <summary>CLOCK_PARENT_GET.</summary>
    public async Task<uint> GetParentAsync(uint clockId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new ClockParentGetRequest(clockId), cancellationToken).ConfigureAwait(false)).ParentId;

    /// <summary>CLOCK_GET_PERMISSIONS.</summary>
    public async Task<(bool State, bool Parent, bool Rate)> GetPermissionsAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var p = await CallAsync(new ClockGetPermissionsRequest(clockId), cancellationToken).ConfigureAwait(false);
        return (p.StateControl, p.ParentControl, p.RateControl);
    }
}

/// <summary>A clock.</summary>
public sealed record ClockInfo(uint Id, string Name, bool Enabled, bool HasParents, bool Restricted, uint EnableDelayUs);

/// <summary>A clock's rates: a discrete list, or a range (min, max, step).</summary>
public sealed record ClockRates(IReadOnlyList<ulong>? Discrete, (ulong Min, ulong Max, ulong Step)? Range)
{
    /// <inheritdoc />
    public override string ToString() => Range is { } r
        ? $"{r.Min}..{r.Max} step {r.Step}"
        : string.Join(", ", Discrete!);
}
