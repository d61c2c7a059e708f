using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Agent;

/// <summary>Voltage domain management (0x17).</summary>
public sealed class VoltageClient : ProtocolClient
{
    internal VoltageClient(ScmiClient client)
        : base(client, ScmiProtocolId.VOLTAGE)
    {
    }

    /// <summary>Number of voltage domains.</summary>
    public async Task<int> GetDomainCountAsync(CancellationToken cancellationToken = default) =>
        (int)(await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false)).GetUInt64("num_domains");

    /// <summary>VOLTAGE_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<VoltageDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, domainId, cancellationToken).ConfigureAwait(false);
        return new VoltageDomainInfo(domainId, name, a.GetUInt64("async_level_set") != 0);
    }

    /// <summary>VOLTAGE_DESCRIBE_LEVELS, every part: discrete levels or a (min, max, step) range, in µV.</summary>
    public async Task<(IReadOnlyList<int>? Levels, (int Min, int Max, int Step)? Range)> DescribeLevelsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var levels = new List<int>();
        for (var index = 0; ;)
        {
            var reply = await CallAsync((byte)VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, cancellationToken, ("domain_id", domainId), ("level_index", (ulong)index)).ConfigureAwait(false);
            var part = reply.GetNumbers("levels_uv").Select(v => (int)(long)v).ToList();
            if (reply.GetUInt64("format") == 1)
                return (null, (part[0], part[1], part[2]));
            levels.AddRange(part);
            index += part.Count;
            if (part.Count == 0 || reply.GetUInt64("remaining") == 0)
                return (levels, null);
        }
    }

    /// <summary>VOLTAGE_CONFIG_SET: 0x7 on, 0x0 off.</summary>
    public Task SetConfigAsync(uint domainId, uint mode, CancellationToken cancellationToken = default) =>
        CallAsync((byte)VoltageMessageId.VOLTAGE_CONFIG_SET, cancellationToken, ("domain_id", domainId), ("mode", mode));

    /// <summary>VOLTAGE_CONFIG_GET.</summary>
    public async Task<uint> GetConfigAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (uint)(await CallAsync((byte)VoltageMessageId.VOLTAGE_CONFIG_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetUInt64("mode");

    /// <summary>VOLTAGE_LEVEL_SET (synchronous), in µV.</summary>
    public Task SetLevelAsync(uint domainId, int microvolts, CancellationToken cancellationToken = default) =>
        CallAsync((byte)VoltageMessageId.VOLTAGE_LEVEL_SET, cancellationToken, ("domain_id", domainId), ("async", 0), ("voltage_level_uv", unchecked((ulong)(long)microvolts)));

    /// <summary>VOLTAGE_LEVEL_GET, in µV.</summary>
    public async Task<int> GetLevelAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (int)(await CallAsync((byte)VoltageMessageId.VOLTAGE_LEVEL_GET, cancellationToken, ("domain_id", domainId)).ConfigureAwait(false)).GetInt64("voltage_level_uv");
}

/// <summary>A voltage domain.</summary>
public sealed record VoltageDomainInfo(uint Id, string Name, bool AsyncLevelSet);
