using static Vscmi.Protocol.Messages.PinctrlMessages;

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
    /// <summary>function_selected / function_id when no function is selected (reference 2.10).</summary>
    private const uint NoFunction = uint.MaxValue;

    /// <summary>config_flag 1: every configuration, paged by skip_configs (reference 2.10).</summary>
    private const uint AllConfigs = 1;

    internal PinctrlClient(ScmiClient client)
        : base(client, ScmiProtocolId.PINCTRL)
    {
    }

    /// <summary>Numbers of pins, groups and functions.</summary>
    public async Task<(int Pins, int Groups, int Functions)> GetCountsAsync(CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new ProtocolAttributesRequest(), cancellationToken).ConfigureAwait(false);
        return ((int)a.NumPins, (int)a.NumGroups, (int)a.NumFunctions);
    }

    /// <summary>PINCTRL_ATTRIBUTES (+ PINCTRL_NAME_GET for long names).</summary>
    public async Task<PinctrlInfo> GetAttributesAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var a = await CallAsync(new PinctrlAttributesRequest(identifier, (uint)selector), cancellationToken).ConfigureAwait(false);
        var name = await FullNameAsync(a.Name, a.ExtendedName, new PinctrlNameGetRequest(identifier, (uint)selector), n => n.Name, cancellationToken).ConfigureAwait(false);
        return new PinctrlInfo(identifier, selector, name, (int)a.NumElements, a.GpioFunction, a.PinOnlyFunction);
    }

    /// <summary>PINCTRL_LIST_ASSOCIATIONS, every part: a group's pins or a function's groups.</summary>
    public async IAsyncEnumerable<uint> ListAssociationsAsync(uint identifier, PinctrlSelector selector, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var id in ListAsync(index => new PinctrlListAssociationsRequest(identifier, (uint)selector, index), r => (r.Ids, r.Remaining), cancellationToken).ConfigureAwait(false))
            yield return (uint)id;
    }

    /// <summary>PINCTRL_SETTINGS_GET of every configuration ("all configs" mode, paged by skip count): the selected function and each (type, value).</summary>
    public async Task<(uint? Function, IReadOnlyList<(byte Type, uint Value)> Configs)> GetSettingsAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default)
    {
        var configs = new List<(byte, uint)>();
        uint? function = null;
        while (true)
        {
            var reply = await CallAsync(new PinctrlSettingsGetRequest(identifier, ConfigType: 0, (uint)configs.Count, (uint)selector, AllConfigs), cancellationToken).ConfigureAwait(false);
            function = reply.FunctionSelected == NoFunction ? null : reply.FunctionSelected;
            var part = reply.Configs;
            configs.AddRange(part.Select(c => ((byte)c.ConfigType, c.Value)));
            if (part.Count == 0 || reply.Remaining == 0)
                return (function, configs);
        }
    }

    /// <summary>PINCTRL_SETTINGS_CONFIGURE: optionally select a function, and write configurations.</summary>
    public Task ConfigureAsync(uint identifier, PinctrlSelector selector, uint? function, IReadOnlyList<(byte Type, uint Value)> configs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configs);
        return CallAsync(new PinctrlSettingsConfigureRequest(identifier, function ?? NoFunction, (uint)selector, function is not null,
            [.. configs.Select(c => new PinctrlSettingsConfigureRequest.ConfigsEntry(c.Type, c.Value))]), cancellationToken);
    }

    /// <summary>PINCTRL_REQUEST: exclusive use (IN_USE when another agent holds it).</summary>
    public Task RequestAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync(new PinctrlRequestRequest(identifier, (uint)selector), cancellationToken);

    /// <summary>PINCTRL_RELEASE.</summary>
    public Task ReleaseAsync(uint identifier, PinctrlSelector selector, CancellationToken cancellationToken = default) =>
        CallAsync(new PinctrlReleaseRequest(identifier, (uint)selector), cancellationToken);

    /// <summary>PINCTRL_SET_PERMISSIONS (layout unverified in the reference: selector, allow bit 2).</summary>
    public Task SetPermissionsAsync(uint agentId, uint identifier, PinctrlSelector selector, bool allow, CancellationToken cancellationToken = default) =>
        CallAsync(new PinctrlSetPermissionsRequest(agentId, identifier, (uint)selector, allow), cancellationToken);
}

/// <summary>A pin, group or function.</summary>
public sealed record PinctrlInfo(uint Id, PinctrlSelector Selector, string Name, int Elements, bool GpioFunction, bool PinOnlyFunction);
