using static Vscmi.Protocol.Messages.VoltageMessages;

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
        (int)(await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false)).NumDomains;

    /// <summary>VOLTAGE_DOMAIN_ATTRIBUTES (+ name).</summary>
    public async Task<VoltageDomainInfo> GetDomainAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new VoltageDomainAttributesRequest(domainId), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new VoltageDomainNameGetRequest(domainId), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new VoltageDomainInfo(domainId, name, a.AsyncLevelSet);
    }

    /// <summary>VOLTAGE_DESCRIBE_LEVELS, every part: discrete levels or a (min, max, step) range, in µV.</summary>
    public async Task<(IReadOnlyList<int>? Levels, (int Min, int Max, int Step)? Range)> DescribeLevelsAsync(uint domainId, CancellationToken cancellationToken = default)
    {
        var levels = new List<int>();
        for (var index = 0; ;)
        {
            var reply = await CallAsync(new VoltageDescribeLevelsRequest(domainId, (uint)index), cancellationToken).ConfigureAwait(false);
            var part = reply.LevelsUv.Select(v => (int)v).ToList();
            if (reply.Format == 1)
                return (null, (part[0], part[1], part[2]));
            levels.AddRange(part);
            index += part.Count;
            if (part.Count == 0 || reply.Remaining == 0)
                return (levels, null);
        }
    }

    /// <summary>VOLTAGE_CONFIG_SET: 0x7 on, 0x0 off.</summary>
    public Task SetConfigAsync(uint domainId, uint mode, CancellationToken cancellationToken = default) =>
        CallAsync(new VoltageConfigSetRequest(domainId, mode), cancellationToken);

    /// <summary>VOLTAGE_CONFIG_GET.</summary>
    public async Task<uint> GetConfigAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new VoltageConfigGetRequest(domainId), cancellationToken).ConfigureAwait(false)).Mode;

    /// <summary>VOLTAGE_LEVEL_SET (synchronous), in µV.</summary>
    public Task SetLevelAsync(uint domainId, int microvolts, CancellationToken cancellationToken = default) =>
        CallAsync(new VoltageLevelSetRequest(domainId, Async: false, microvolts), cancellationToken);

    /// <summary>VOLTAGE_LEVEL_GET, in µV.</summary>
    public async Task<int> GetLevelAsync(uint domainId, CancellationToken cancellationToken = default) =>
        (await CallAsync(new VoltageLevelGetRequest(domainId), cancellationToken).ConfigureAwait(false)).VoltageLevelUv;
}

/// <summary>A voltage domain.</summary>
public sealed record VoltageDomainInfo(uint Id, string Name, bool AsyncLevelSet);
