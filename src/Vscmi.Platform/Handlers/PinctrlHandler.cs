using Vscmi.Platform.Model;
using AssociationsWord = Vscmi.Protocol.Fields.PinctrlBits.PinctrlListAssociations.Response.Flags;
using CountsWord = Vscmi.Protocol.Fields.PinctrlBits.ProtocolAttributes.Response.AttributesLow;
using PermissionFlags = Vscmi.Protocol.Fields.PinctrlBits.PinctrlSetPermissions.Request.Flags;
using AttributesWord = Vscmi.Protocol.Fields.PinctrlBits.PinctrlAttributes.Response.Attributes;
using ConfigureAttributes = Vscmi.Protocol.Fields.PinctrlBits.PinctrlSettingsConfigure.Request.Attributes;
using GetAttributes = Vscmi.Protocol.Fields.PinctrlBits.PinctrlSettingsGet.Request.Attributes;
using NumConfigs = Vscmi.Protocol.Fields.PinctrlBits.PinctrlSettingsGet.Response.NumConfigs;

namespace Vscmi.Platform.Handlers;

/// <summary>
/// Pin control (0x19, v1.0; reference 2.10): pins, groups and functions; settings per pin or
/// group; exclusive use through PINCTRL_REQUEST / PINCTRL_RELEASE (IN_USE for others); per-agent
/// denial by a trusted agent's PINCTRL_SET_PERMISSIONS.
/// </summary>
internal sealed class PinctrlHandler(ScmiPlatform platform) : ProtocolHandler(platform, ScmiProtocolId.PINCTRL)
{
    private const uint Pin = 0;
    private const uint Group = 1;
    private const uint Function = 2;
    private const uint NoFunction = 0xFFFFFFFF;

    private PinctrlModel Model => Platform.Model.Pinctrl!;

    /// <summary>The agent's own counts: each agent sees the pins, groups and functions of its view, numbered from 0.</summary>
    public override void WriteProtocolAttributes(AgentSession agent, ref ScmiWriter reply)
    {
        reply.WriteUInt32(BitField.Put((uint)agent.VisibleCount(ResourceKind.Pin), CountsWord.NumPinsMask, CountsWord.NumPinsShift)
            | BitField.Put((uint)agent.VisibleCount(ResourceKind.PinGroup), CountsWord.NumGroupsMask, CountsWord.NumGroupsShift));
        reply.WriteUInt32((uint)agent.VisibleCount(ResourceKind.PinFunction));
    }

    public override IEnumerable<(byte, MessageHandler)> Commands() =>
    [
        ((byte)PinctrlMessageId.PINCTRL_ATTRIBUTES, Attributes),
        ((byte)PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ListAssociations),
        ((byte)PinctrlMessageId.PINCTRL_SETTINGS_GET, SettingsGet),
        ((byte)PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE, SettingsConfigure),
        ((byte)PinctrlMessageId.PINCTRL_REQUEST, RequestUse),
        ((byte)PinctrlMessageId.PINCTRL_RELEASE, Release),
        ((byte)PinctrlMessageId.PINCTRL_NAME_GET, NameGet),
        ((byte)PinctrlMessageId.PINCTRL_SET_PERMISSIONS, SetPermissions),
    ];

    /// <summary>Reads identifier then the selector word; -1 when the agent sees no such identifier for that selector.</summary>
    private int Read(ref ScmiRequest request, out uint selector)
    {
        var id = request.Params.ReadUInt32();
        selector = request.Params.ReadUInt32() & 3;
        return Index(request.Agent, id, selector);
    }

    private static ResourceKind KindOf(uint selector) => selector switch
    {
        Pin => ResourceKind.Pin,
        Group => ResourceKind.PinGroup,
        _ => ResourceKind.PinFunction,
    };

    /// <summary>
    /// The index into the state array (pins, then groups, then functions) of one of the agent's
    /// ids, or -1 when it does not see it. A device permission that denies it is a -2 (DENIED).
    /// </summary>
    private int Index(AgentSession agent, uint id, uint selector)
    {
        if (selector > Function || !agent.TryGlobal(KindOf(selector), id, out var global))
            return -1;
        if (Platform.State.ResourceDenied(agent.AgentId, KindOf(selector), global))
            return -2;
        return selector switch
        {
            Pin => global,
            Group => Model.Pins.Count + global,
            _ => Model.Pins.Count + Model.Groups.Count + global,
        };
    }

    private static ScmiStatus Missing(int index) => index == -2 ? ScmiStatus.DENIED : ScmiStatus.NOT_FOUND;

    /// <summary>A function's groups that the agent sees, in its own ids.</summary>
    private List<uint> VisibleGroups(AgentSession agent, int function) => Visible(agent, ResourceKind.PinGroup, Model.Functions[function].Groups);

    /// <summary>A group's pins in the agent's ids (the loader made sure it sees them all).</summary>
    private List<uint> VisiblePins(AgentSession agent, int group) => Visible(agent, ResourceKind.Pin, Model.Groups[group].Pins);

    private static List<uint> Visible(AgentSession agent, ResourceKind kind, IReadOnlyList<int> globals)
    {
        var locals = new List<uint>(globals.Count);
        foreach (var global in globals)
        {
            if (agent.TryLocal(kind, global, out var local))
                locals.Add(local);
        }

        return locals;
    }

    private string NameOf(int index) =>
        index < Model.Pins.Count ? Model.Pins[index]
        : index < Model.Pins.Count + Model.Groups.Count ? Model.Groups[index - Model.Pins.Count].Name
        : Model.Functions[index - Model.Pins.Count - Model.Groups.Count].Name;

    private ScmiStatus Attributes(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = Read(ref request, out var selector);
        if (index < 0)
            return Missing(index);
        var name = NameOf(index);
        var elements = selector switch
        {
            Group => Model.Groups[index - Model.Pins.Count].Pins.Count,
            Function => VisibleGroups(request.Agent, index - Model.Pins.Count - Model.Groups.Count).Count,
            _ => 0,
        };
        var gpio = selector == Function && Model.Functions[index - Model.Pins.Count - Model.Groups.Count].Gpio ? AttributesWord.GpioFunction : 0;
        reply.WriteUInt32((NeedsExtendedName(name) ? AttributesWord.ExtendedName : 0) | gpio | ((uint)elements << AttributesWord.NumElementsShift));
        WriteShortName(ref reply, name);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A group's pins or a function's groups, 16-bit ids, split to fit (reference 1.7).</summary>
    private ScmiStatus ListAssociations(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = Read(ref request, out var selector);
        var start = request.Params.ReadUInt32();
        if (index < 0)
            return Missing(index);
        List<uint> ids = selector switch
        {
            Group => VisiblePins(request.Agent, index - Model.Pins.Count),
            Function => VisibleGroups(request.Agent, index - Model.Pins.Count - Model.Groups.Count),
            _ => [],
        };
        if (selector == Pin)
            return ScmiStatus.INVALID_PARAMETERS; // a pin has no associations
        if (start >= ids.Count)
            return ScmiStatus.OUT_OF_RANGE;
        // Whole words only: an odd count is followed by a zero half-word of padding.
        var count = Math.Min(ids.Count - (int)start, (reply.Remaining - 4) / 4 * 2);
        reply.WriteUInt32(BitField.Put((uint)count, AssociationsWord.ReturnedMask, AssociationsWord.ReturnedShift)
            | BitField.Put((uint)(ids.Count - (int)start - count), AssociationsWord.RemainingMask, AssociationsWord.RemainingShift));
        for (var i = (int)start; i < start + count; i++)
            reply.WriteUInt16((ushort)ids[i]);
        if (count % 2 == 1)
            reply.WriteZeros(2);
        return ScmiStatus.SUCCESS;
    }

    /// <summary>config_flag 0: one type; 1: every type from skip_configs on, split to fit; 2: the function only.</summary>
    private ScmiStatus SettingsGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var id = request.Params.ReadUInt32();
        var attributes = request.Params.ReadUInt32();
        var selector = (attributes & GetAttributes.SelectorMask) >> GetAttributes.SelectorShift;
        var index = Index(request.Agent, id, selector);
        if (index < 0)
            return Missing(index);
        if (selector == Function)
            return ScmiStatus.INVALID_PARAMETERS; // settings belong to pins and groups
        var state = Platform.State.Pins[index];
        var flag = (attributes & GetAttributes.ConfigFlagMask) >> GetAttributes.ConfigFlagShift;
        var type = (byte)((attributes & GetAttributes.ConfigTypeMask) >> GetAttributes.ConfigTypeShift);
        var skip = (int)((attributes & GetAttributes.SkipConfigsMask) >> GetAttributes.SkipConfigsShift);
        // The selected function in the agent's ids; one it cannot see reads as none.
        reply.WriteUInt32(state.Function is { } selected && request.Agent.TryLocal(ResourceKind.PinFunction, (int)selected, out var localFunction) ? localFunction : NoFunction);
        switch (flag)
        {
            case 0:
                if (!state.Configs.TryGetValue(type, out var value))
                    return ScmiStatus.NOT_FOUND;
                reply.WriteUInt32(1);
                reply.WriteUInt32(type);
                reply.WriteUInt32(value);
                return ScmiStatus.SUCCESS;
            case 1:
            {
                if (skip > state.Configs.Count)
                    return ScmiStatus.OUT_OF_RANGE;
                var count = Math.Min(Math.Min(state.Configs.Count - skip, (reply.Remaining - 4) / 8), 255);
                reply.WriteUInt32(((uint)count << NumConfigs.ReturnedShift) | ((uint)Math.Min(state.Configs.Count - skip - count, 255) << NumConfigs.RemainingShift));
                foreach (var (t, v) in state.Configs.Skip(skip).Take(count))
                {
                    reply.WriteUInt32(t);
                    reply.WriteUInt32(v);
                }

                return ScmiStatus.SUCCESS;
            }

            default:
                reply.WriteUInt32(0);
                return ScmiStatus.SUCCESS;
        }
    }

    private ScmiStatus SettingsConfigure(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var id = request.Params.ReadUInt32();
        var function = request.Params.ReadUInt32();
        var attributes = request.Params.ReadUInt32();
        var selector = (attributes & ConfigureAttributes.SelectorMask) >> ConfigureAttributes.SelectorShift;
        var count = (int)((attributes & ConfigureAttributes.NumConfigsMask) >> ConfigureAttributes.NumConfigsShift);
        var index = Index(request.Agent, id, selector);
        if (index < 0)
            return Missing(index);
        if (selector == Function)
            return ScmiStatus.INVALID_PARAMETERS;
        var state = Platform.State.Pins[index];
        if (state.Denied.Contains(request.Agent.AgentId))
            return ScmiStatus.DENIED;
        if (state.Owner != 0 && state.Owner != request.Agent.AgentId)
            return ScmiStatus.IN_USE;
        var selectFunction = (attributes & ConfigureAttributes.FunctionValid) != 0;
        var globalFunction = -1;
        if (selectFunction && (!request.Agent.TryGlobal(ResourceKind.PinFunction, function, out globalFunction) || !Carries(globalFunction, selector, index)))
            return ScmiStatus.INVALID_PARAMETERS;
        Span<(byte Type, uint Value)> configs = stackalloc (byte, uint)[count];
        for (var i = 0; i < count; i++)
        {
            var type = (byte)request.Params.ReadUInt32();
            configs[i] = (type, request.Params.ReadUInt32());
        }

        // Checked first, applied after: a refused request changes nothing.
        if (selectFunction)
            state.Function = (uint)globalFunction;
        foreach (var (type, value) in configs)
            state.Configs[type] = value;
        return ScmiStatus.SUCCESS;
    }

    /// <summary>A function can be selected on a group it lists, or on a pin of such a group.</summary>
    private bool Carries(int function, uint selector, int index)
    {
        foreach (var group in Model.Functions[function].Groups)
        {
            if (selector == Group && Model.Pins.Count + group == index)
                return true;
            if (selector == Pin && Model.Groups[group].Pins.Contains(index))
                return true;
        }

        return false;
    }

    private ScmiStatus RequestUse(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = Read(ref request, out _);
        if (index < 0)
            return Missing(index);
        var state = Platform.State.Pins[index];
        if (state.Denied.Contains(request.Agent.AgentId))
            return ScmiStatus.DENIED;
        if (state.Owner != 0 && state.Owner != request.Agent.AgentId)
            return ScmiStatus.IN_USE; // held by another agent (imx-sm's answer)
        state.Owner = request.Agent.AgentId;
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus Release(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = Read(ref request, out _);
        if (index < 0)
            return Missing(index);
        var state = Platform.State.Pins[index];
        if (state.Owner != request.Agent.AgentId)
            return ScmiStatus.DENIED; // only the holder releases
        state.Owner = 0;
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus NameGet(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var index = Read(ref request, out _);
        if (index < 0)
            return Missing(index);
        WriteExtendedName(ref reply, NameOf(index));
        return ScmiStatus.SUCCESS;
    }

    private ScmiStatus SetPermissions(ref ScmiRequest request, ref ScmiWriter reply)
    {
        var agent = request.Params.ReadUInt32();
        var id = request.Params.ReadUInt32();
        var flags = request.Params.ReadUInt32();
        if (!request.Agent.Trusted)
            return ScmiStatus.DENIED;
        if (agent == 0 || agent > Platform.Model.Agents.Count)
            return ScmiStatus.NOT_FOUND;
        var index = Index(request.Agent, id, BitField.Get(flags, PermissionFlags.SelectorMask, PermissionFlags.SelectorShift));
        if (index < 0)
            return Missing(index);
        var denied = Platform.State.Pins[index].Denied;
        if ((flags & PermissionFlags.Allow) != 0)
            denied.Remove((int)agent);
        else
            denied.Add((int)agent);
        return ScmiStatus.SUCCESS;
    }
}
