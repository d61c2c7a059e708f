using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

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
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_clocks");

    /// <summary>CLOCK_ATTRIBUTES (+ CLOCK_NAME_GET for long names).</summary>
    public async Task<ClockInfo> GetClockAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)ClockMessageId.CLOCK_ATTRIBUTES, cancellationToken, ("clock_id", clockId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)ClockMessageId.CLOCK_NAME_GET, clockId, cancellationToken, "clock_id").ConfigureAwait(false);
        return new ClockInfo(clockId, name, a.GetUInt64("enabled") != 0, a.ValueOrZero("parents") != 0, a.ValueOrZero("restricted") != 0, (uint)a.ValueOrZero("clock_enable_delay_us"));
    }

    /// <summary>CLOCK_DESCRIBE_RATES, every part: a discrete list or one range.</summary>
    public async Task<ClockRates> DescribeRatesAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var rates = new List<ulong>();
        for (var index = 0; ;)
        {
            var reply = await CallAsync((byte)ClockMessageId.CLOCK_DESCRIBE_RATES, cancellationToken, ("clock_id", clockId), ("rate_index", (ulong)index)).ConfigureAwait(false);
            var part = reply.GetNumbers("rates");
            if (reply.GetUInt64("format") == 1)
                return new ClockRates(null, part.Count == 3 ? (part[0], part[1], part[2]) : throw new ScmiClientException("CLOCK_DESCRIBE_RATES: a range must be one triplet"));
            rates.AddRange(part);
            index += part.Count;
            if (part.Count == 0 || reply.GetUInt64("remaining") == 0)
                return new ClockRates(rates, null);
        }
    }

    /// <summary>CLOCK_RATE_SET, synchronous.</summary>
    public Task SetRateAsync(uint clockId, ulong rate, ClockRounding rounding = ClockRounding.Closest, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ClockMessageId.CLOCK_RATE_SET, cancellationToken, ("async", 0), ("rounding", (ulong)rounding), ("clock_id", clockId), ("rate", rate));

    /// <summary>CLOCK_RATE_SET with the asynchronous flag: completes with the rate the delayed response reports.</summary>
    public async Task<ulong> SetRateAndWaitAsync(uint clockId, ulong rate, ClockRounding rounding = ClockRounding.Closest, CancellationToken cancellationToken = default)
    {
        var response = await Client.RequestAsync(Protocol, (byte)ClockMessageId.CLOCK_RATE_SET,
            Args(("async", 1), ("rounding", (ulong)rounding), ("clock_id", clockId), ("rate", rate)), expectDelayed: true, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccess();
        var delayed = await Client.AwaitDelayedAsync(response.Delayed!, "CLOCK_RATE_SET", cancellationToken).ConfigureAwait(false);
        if (delayed.Status != 0)
            throw new ScmiStatusException("CLOCK_RATE_SET (delayed)", delayed.Status!.Value);
        return delayed.Fields.GetUInt64("rate");
    }

    /// <summary>CLOCK_RATE_GET.</summary>
    public async Task<ulong> GetRateAsync(uint clockId, CancellationToken cancellationToken = default) =>
        (await CallAsync((byte)ClockMessageId.CLOCK_RATE_GET, cancellationToken, ("clock_id", clockId)).ConfigureAwait(false)).GetUInt64("rate");

    /// <summary>CLOCK_CONFIG_SET: enable or disable.</summary>
    public Task SetEnabledAsync(uint clockId, bool enabled, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ClockMessageId.CLOCK_CONFIG_SET, cancellationToken, ("clock_id", clockId), ("state", enabled ? 1u : 0), ("extended_config_type", 0), ("extended_config_val", 0));

    /// <summary>CLOCK_CONFIG_GET: enabled, and the value of an extended configuration type.</summary>
    public async Task<(bool Enabled, uint ExtendedValue)> GetConfigAsync(uint clockId, byte extendedType = 0, CancellationToken cancellationToken = default)
    {
        var c = await CallAsync((byte)ClockMessageId.CLOCK_CONFIG_GET, cancellationToken, ("clock_id", clockId), ("extended_config_type", extendedType)).ConfigureAwait(false);
        return (c.GetUInt64("enabled") != 0, (uint)c.GetUInt64("extended_config_val"));
    }

    /// <summary>CLOCK_RATE_NOTIFY.</summary>
    public Task NotifyRateAsync(uint clockId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ClockMessageId.CLOCK_RATE_NOTIFY, cancellationToken, ("clock_id", clockId), ("notify_enable", enable ? 1u : 0));

    /// <summary>CLOCK_RATE_CHANGE_REQUESTED_NOTIFY.</summary>
    public Task NotifyRateChangeRequestedAsync(uint clockId, bool enable, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ClockMessageId.CLOCK_RATE_CHANGE_REQUESTED_NOTIFY, cancellationToken, ("clock_id", clockId), ("notify_enable", enable ? 1u : 0));

    /// <summary>CLOCK_POSSIBLE_PARENTS_GET, every part.</summary>
    public async IAsyncEnumerable<uint> GetPossibleParentsAsync(uint clockId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var p in ListAsync((byte)ClockMessageId.CLOCK_POSSIBLE_PARENTS_GET, "skip_parents", "parents", _ => [("clock_id", clockId)], cancellationToken).ConfigureAwait(false))
            yield return (uint)p.GetUInt64("value");
    }

    /// <summary>CLOCK_PARENT_SET.</summary>
    public Task SetParentAsync(uint clockId, uint parentId, CancellationToken cancellationToken = default) =>
        CallAsync((byte)ClockMessageId.CLOCK_PARENT_SET, cancellationToken, ("clock_id", clockId), ("parent_id", parentId));

    /// <summary>CLOCK_PARENT_GET.</summary>
    public async Task<uint> GetParentAsync(uint clockId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)ClockMessageId.CLOCK_PARENT_GET, cancellationToken, ("clock_id", clockId)).ConfigureAwait(false)).GetUInt64("parent_id");

    /// <summary>CLOCK_GET_PERMISSIONS.</summary>
    public async Task<(bool State, bool Parent, bool Rate)> GetPermissionsAsync(uint clockId, CancellationToken cancellationToken = default)
    {
        var p = await CallAsync((byte)ClockMessageId.CLOCK_GET_PERMISSIONS, cancellationToken, ("clock_id", clockId)).ConfigureAwait(false);
        return (p.GetUInt64("state_control") != 0, p.GetUInt64("parent_control") != 0, p.GetUInt64("rate_control") != 0);
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
