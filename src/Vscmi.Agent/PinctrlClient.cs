using System.Runtime.CompilerServices;
using Vscmi.Protocol;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent;

/// <summary>What a pin-control identifier names (the selector of reference 2.10).</summary>
public enum PinctrlSelector
{
    /// <summary>A pin.</summary>
    Pin = 0,
    /// <summary>A group of pins.</summary>
    Group = 1,
    /// <summary>A function.</summary>
    Function = 2,
}

/// <summary>Pin control (0x19).</summary>
public sealed class PinctrlClient : ProtocolClient
{
    internal PinctrlClient(ScmiClient client)
        : base(client, ScmiProtocolId.PINCTRL)
    {
    }

    /// <summary>Numbers of pins, groups and functions.</summary>
    public async Task<(int Pins, int Groups, int Functions)> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        var a = await GetProtocolAttributesAsync(cancellationToken).ConfigureAwait(false);
        return ((int)a.GetUInt64("num_pins"), (int)a.GetUInt64("num_groups"), (int)a.GetUInt64("num_functions"));
    }

    /// <summary>PINCTRL_ATTRIBUTES (+ PINCTRL_NAME_GET for long names).</summary>
    public async Task<PinctrlInfo> GetAttributesAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync((byte)PinctrlMessageId.PINCTRL_ATTRIBUTES, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector)).ConfigureAwait(false);
        var name = await FullNameAsync(a, a.ValueOrZero("extended_name") != 0, (byte)PinctrlMessageId.PINCTRL_NAME_GET, identifier, cancellationToken, "identifier", ("selector", (ulong)selector)).ConfigureAwait(false);
        return new PinctrlInfo(identifier, selector, name, (int)a.GetUInt64("num_elements"), a.GetUInt64("gpio_function") != 0, a.GetUInt64("pin_only_function") != 0);
    }

    /// <summary>PINCTRL_LIST_ASSOCIATIONS, every part: a group's pins or a function's groups.</summary>
    public async IAsyncEnumerable<uint> ListAssociationsAsync(uint identifier, PinctrlSelector selector, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var id in ListAsync((byte)PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, "index", "ids", _ => [("identifier", identifier), ("selector", (ulong)selector)], cancellationToken).ConfigureAwait(false))
            yield return (uint)id.GetUInt64("value");
    }

    /// <summary>PINCTRL_SETTINGS_GET of every configuration ("all configs" mode, paged by skip count): the selected function and each (type, value).</summary>
    public async Task<(uint? Function, IReadOnlyList<(byte Type, uint Value)> Configs)> GetSettingsAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var configs = new List<(byte, uint)>();
        uint? function = null;
        while (true)
        {
            var reply = await CallAsync((byte)PinctrlMessageId.PINCTRL_SETTINGS_GET, cancellationToken, ("identifier", identifier), ("config_type", 0),
                ("skip_configs", (ulong)configs.Count), ("selector", (ulong)selector), ("config_flag", 1)).ConfigureAwait(false);
            var selected = reply.GetUInt64("function_selected");
            function = selected == 0xFFFFFFFF ? null : (uint)selected;
            var part = reply.GetRecords("configs");
            configs.AddRange(part.Select(c => ((byte)c.GetUInt64("config_type"), (uint)c.GetUInt64("value"))));
            if (part.Count == 0 || reply.GetUInt64("remaining") == 0)
                return (function, configs);
        }
    }

    /// <summary>PINCTRL_SETTINGS_CONFIGURE: optionally select a function, and write configurations.</summary>
    public Task ConfigureAsync(uint identifier, PinctrlSelector selector, uint? function, IReadOnlyList<(byte Type, uint Value)> configs, CancellationToken cancellationToken = default)
    {
        var parameters = Args(("identifier", identifier), ("function_id", function ?? 0xFFFFFFFF), ("selector", (ulong)selector), ("function_valid", function is null ? 0u : 1u));
        parameters.Set("configs", configs.Select(c => new Protocol.Schema.FieldSet().Set("config_type", (ulong)c.Type).Set("value", (ulong)c.Value)).ToList());
        return Client.CallAsync(Protocol, (byte)PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE, parameters, cancellationToken);
    }

    /// <summary>PINCTRL_REQUEST: exclusive use (IN_USE when another agent holds it).</summary>
    public Task RequestAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_REQUEST, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector));

    /// <summary>PINCTRL_RELEASE.</summary>
    public Task ReleaseAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_RELEASE, cancellationToken, ("identifier", identifier), ("selector", (ulong)selector));

    /// <summary>PINCTRL_SET_PERMISSIONS (layout unverified in the reference: selector, allow bit 2).</summary>
    public Task SetPermissionsAsync(uint agentId, uint identifier, PinctrlSelector selector, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync((byte)PinctrlMessageId.PINCTRL_SET_PERMISSIONS, cancellationToken, ("agent_id", agentId), ("identifier", identifier), ("selector", (ulong)selector), ("allow", allow ? 1u : 0));
}

/// <summary>A pin, group or function.</summary>
public sealed record PinctrlInfo(uint Id, PinctrlSelector Selector, string Name, int Elements, bool GpioFunction, bool PinOnlyFunction);
