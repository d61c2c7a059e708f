using ConfigWord = Vscmi.Protocol.Fields.VoltageBits.VoltageConfigSet.Request.Config;
using DomainAttributesWord = Vscmi.Protocol.Fields.VoltageBits.VoltageDomainAttributes.Response.Attributes;
using LevelsWord = Vscmi.Protocol.Fields.VoltageBits.VoltageDescribeLevels.Response.Flags;

namespace Vscmi.Platform.Handlers;

/// <summary>Voltage domain management (0x17; reference 2.8).</summary>
internal sealed class VoltageHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.VOLTAGE)
{
    private const uint ModeOff = 0x0;
    private const uint ModeOn = 0x7;

    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply) =>
        reply.WriteUInt32((uint)agent.VisibleCount(Model.ResourceKind.VoltageDomain));

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, DomainAttributes),
        ((byte)VoltageMessageId.VOLTAGE_DESCRIBE_LEVELS, DescribeLevels),
        ((byte)VoltageMessageId.VOLTAGE_CONFIG_SET, ConfigSet),
        ((byte)VoltageMessageId.VOLTAGE_CONFIG_GET, ConfigGet),
        ((byte)VoltageMessageId.VOLTAGE_LEVEL_SET, LevelSet),
        ((byte)VoltageMessageId.VOLTAGE_LEVEL_GET, LevelGet),
        ((byte)VoltageMessageId.VOLTAGE_DOMAIN_NAME_GET, NameGet),
    ];

    private static bool TryDomain(ref ScmiRequest request, out int id) => TryResource(ref request, Model.ResourceKind.VoltageDomain, out id);

    private ScmiStatus DomainAttributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var domain = Platform.Model.VoltageDomains[id];
        var asyncSet = domain.AsyncLatencyUs is not null && request.Agent.HasP2A ? DomainAttributesWord.AsyncLevelSet : 0;
        reply.WriteUInt32((asyncSet | (NeedsExtendedName(domain.Name) ? DomainAttributesWord.ExtendedName : 0)) & DefinedBits((byte)VoltageMessageId.VOLTAGE_DOMAIN_ATTRIBUTES, DomainAttributesWord.Name));
        WriteShortName(ref reply, domain.Name);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus DescribeLevels(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var index = request.Params.ReadUInt32();
        var domain = Platform.Model.VoltageDomains[id];
        if (domain.Range is { } range)
        {
            if (index != 0)
                return ScmiStatus.OUT_OF_RANGE;
            reply.WriteUInt32(BitField.Put(3u, LevelsWord.ReturnedMask, LevelsWord.ReturnedShift) | LevelsWord.Format); // one segmented triplet
            reply.WriteInt32(range.Min);
            reply.WriteInt32(range.Max);
            reply.WriteInt32(range.Step);
            return ScmiStatus.SUCCESS;
        }

        var levels = domain.Levels!;
        if (index >= levels.Count)
            return ScmiStatus.OUT_OF_RANGE;
        var count = Math.Min(levels.Count - (int)index, EntriesThatFit(reply, 4));
        reply.WriteUInt32(BitField.Put((uint)count, LevelsWord.ReturnedMask, LevelsWord.ReturnedShift)
            | BitField.Put((uint)(levels.Count - (int)index - count), LevelsWord.RemainingMask, LevelsWord.RemainingShift));
        for (var i = (int)index; i < index + count; i++)
            reply.WriteInt32(levels[i]);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ConfigSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        var mode = BitField.Get(request.Params.ReadUInt32(), ConfigWord.ModeMask, ConfigWord.ModeShift);
        if (mode is not (ModeOff or ModeOn))
            return ScmiStatus.NOT_SUPPORTED; // implementation-defined modes are not modelled
        if (Platform.Host.Voltage[id] is { } host && (host.Control ? host.SetOn(mode == ModeOn) : ScmiStatus.DENIED) is var hostStatus && hostStatus != ScmiStatus.SUCCESS)
            return hostStatus;
        Platform.State.Voltage[id].On = mode == ModeOn;
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus ConfigGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteUInt32(Platform.State.Voltage[id].On ? ModeOn : ModeOff);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus LevelSet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var p = new VoltageMessages.VoltageLevelSetView(request.Params.RemainingSpan);
        if (!TryResource(ref request, Model.ResourceKind.VoltageDomain, p.DomainId, out var id))
            return ScmiStatus.NOT_FOUND;
        var level = p.VoltageLevelUv;
        var domain = Platform.Model.VoltageDomains[id];
        if (p.Async && (domain.AsyncLatencyUs is null || !request.Agent.HasP2A))
            return ScmiStatus.NOT_SUPPORTED; // asynchronous level set is not advertised for this domain
        var valid = domain.Range is { } range ? range.Contains(level) : domain.Levels!.Contains(level);
        if (!valid)
            return ScmiStatus.OUT_OF_RANGE;
        if (Platform.Host.Voltage[id] is { } host)
            return host.Control ? ScmiStatus.NOT_SUPPORTED : ScmiStatus.DENIED; // sysfs cannot set a regulator's voltage
        if (p.Async)
        {
            // SUCCESS now; VOLTAGE_LEVEL_SET_COMPLETE (domain_id, level) after the domain's latency.
            if (!request.Agent.TryBeginAsync())
                return ScmiStatus.BUSY;
            SetLater(request.Agent, request.Header, domain.AsyncLatencyUs!.Value, id, level);
            return ScmiStatus.SUCCESS;
        }

        Platform.State.Voltage[id].Level = level;
        return ScmiStatus.SUCCESS;
    }

    // Its own method so that LevelSet's synchronous path allocates no closure.
    private void SetLater(AgentSession agent, ScmiHeader header, uint latencyUs, int domain, int level) =>
        Platform.CompleteLater(agent, header, TimeSpan.FromMicroseconds(latencyUs), () =>
        {
            Platform.State.Voltage[domain].Level = level;
            agent.TryLocal(Model.ResourceKind.VoltageDomain, domain, out var local);
            return new VoltageMessages.VoltageLevelSetDelayed(local, level).ToFields();
        });

    private ScmiStatus LevelGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        if (!TryDomain(ref request, out var id))
            return ScmiStatus.NOT_FOUND;
        reply.WriteInt32(Platform.State.Voltage[id].Level);
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply) =>
        NameGet(ref request, ref reply, Model.ResourceKind.VoltageDomain, i => Platform.Model.VoltageDomains[i].Name);
}
