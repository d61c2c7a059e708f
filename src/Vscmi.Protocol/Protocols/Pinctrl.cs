using Vscmi.Protocol.Schema;
using static Vscmi.Protocol.Schema.LayoutDsl;

namespace Vscmi.Protocol.Protocols;

internal static class PinctrlProtocol
{
    private static readonly ValueNames Selectors = Names((0, "pin"), (1, "group"), (2, "function"));

    /// <summary>Config types 0..20 named, 21..191 reserved, 192..255 OEM (reference 2.10).</summary>
    private static readonly ValueNames ConfigTypes = Names(
        v => v is >= 21 and < 192,
        (0, "default"), (1, "bias_bus_hold"), (2, "bias_disable"), (3, "bias_high_impedance"), (4, "bias_pull_up"),
        (5, "bias_pull_default"), (6, "bias_pull_down"), (7, "drive_open_drain"), (8, "drive_open_source"),
        (9, "drive_push_pull"), (10, "drive_strength"), (11, "input_debounce"), (12, "input_mode"), (13, "pull_mode"),
        (14, "input_value"), (15, "input_schmitt"), (16, "low_power_mode"), (17, "output_mode"), (18, "output_value"),
        (19, "power_source"), (20, "slew_rate"));

    private static readonly Layout Config = Of(Bits("type", Field("config_type", 0, 8, ConfigTypes)), U32("value"));

    private static BitFieldSpec Selector(int low = 0) => Field("selector", low, 2, Selectors);

    private static Layout Identified() => Of(U32("identifier"), Bits("flags", Selector()));

    public static ProtocolSpec Build() => new ProtocolBuilder(ScmiProtocolId.PINCTRL, "PINCTRL", 0x10000)
        .Common(Of(Bits("attributes_low", Field("num_pins", 0, 16), Field("num_groups", 16, 16)),
            Bits("attributes_high", Field("num_functions", 0, 16))))
        .Command(PinctrlMessageId.PINCTRL_ATTRIBUTES, Identified(),
            Of(Bits("attributes", Flag("extended_name", 31), Flag("gpio_function", 17), Flag("pin_only_function", 16), Field("num_elements", 0, 16)),
                Name16()))
        .Command(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, Of(U32("identifier"), Bits("flags", Selector()), U32("index")),
            Of(Shared.ListCount("flags"), Array("ids", "returned", ElementKind.U16Packed)))
        .Command(PinctrlMessageId.PINCTRL_SETTINGS_GET,
            Of(U32("identifier"),
                Bits("attributes", Field("config_type", 0, 8, ConfigTypes), Field("skip_configs", 8, 8), Selector(16),
                    Field("config_flag", 18, 2, Names((0, "one"), (1, "all"), (2, "function_only"))))),
            Of(U32("function_selected", NumberDisplay.Decimal, Names(_ => false, (0xFFFFFFFF, "none"))),
                Bits("num_configs", Field("returned", 0, 8), Field("remaining", 24, 8)),
                Records("configs", "returned", Config)))
        .Command(PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE,
            Of(U32("identifier"),
                U32("function_id", NumberDisplay.Decimal, Names(_ => false, (0xFFFFFFFF, "none"))),
                Bits("attributes", Selector(), Field("num_configs", 2, 8), Flag("function_valid", 10)),
                Records("configs", "num_configs", Config)),
            Layout.Empty)
        .Command(PinctrlMessageId.PINCTRL_REQUEST, Identified(), Layout.Empty)
        .Command(PinctrlMessageId.PINCTRL_RELEASE, Identified(), Layout.Empty)
        .Command(PinctrlMessageId.PINCTRL_NAME_GET, Identified(), Shared.ExtendedName)
        // [U] layout: no implementation sends it (reference 6 #8); selector 1:0 and allow bit 2 assumed.
        .Command(PinctrlMessageId.PINCTRL_SET_PERMISSIONS,
            Of(U32("agent_id"), U32("identifier"), Bits("flags", Selector(), Flag("allow", 2))), Layout.Empty)
        .Build();
}
