using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>Pin control on the default model: 8 pins, 3 groups, 4 functions.</summary>
public class PinctrlTests
{
    private readonly Harness _h = new();

    private static ScmiStatus Configure(Harness h, uint id, uint selector, uint? function, params (uint Type, uint Value)[] configs)
    {
        var set = Harness.Fields(("identifier", id), ("function_id", function ?? 0xFFFFFFFFu), ("selector", selector), ("function_valid", function is null ? 0 : 1));
        set.Set("configs", configs.Select(c => new FieldSet().Set("config_type", (ulong)c.Type).Set("value", (ulong)c.Value)).ToList());
        var header = new ScmiHeader((byte)PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE, ScmiMessageType.COMMAND, 0x19, 3);
        var reply = h.Raw(ScmiMessageCodec.EncodeToArray(header, ScmiMessageKind.Command, 0, set));
        return (ScmiStatus)BitConverter.ToInt32(reply, 4);
    }

    [Fact]
    public void Counts_attributes_and_names()
    {
        var a = _h.Ok(PinctrlMessageId.PROTOCOL_ATTRIBUTES);
        Assert.Equal((8ul, 3ul, 4ul), (a.GetUInt64("num_pins"), a.GetUInt64("num_groups"), a.GetUInt64("num_functions")));
        var uart = _h.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 0), ("selector", 1));
        Assert.Equal(("uart0_grp", 2ul), (uart.GetText("name"), uart.GetUInt64("num_elements")));
        Assert.Equal(1ul, _h.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 3), ("selector", 2)).GetUInt64("gpio_function"));
        Assert.Equal("gpio7", _h.Ok(PinctrlMessageId.PINCTRL_NAME_GET, ("identifier", 7), ("selector", 0)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 8), ("selector", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PinctrlMessageId.PINCTRL_NAME_GET, ("identifier", 4), ("selector", 2)));
    }

    [Theory]
    [InlineData(128)]
    [InlineData(16)]
    public void Associations_split_to_fit(int maxPayload)
    {
        var h = new Harness(maxPayload: maxPayload);
        var groups = new List<ulong>();
        for (var index = 0; ;)
        {
            var reply = h.Ok(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 3), ("selector", 2), ("index", index));
            groups.AddRange(reply.GetNumbers("ids"));
            index += (int)reply.GetUInt64("returned");
            if (reply.GetUInt64("remaining") == 0)
                break;
        }

        Assert.Equal(new ulong[] { 0, 1, 2 }, groups);
        Assert.Equal(new ulong[] { 4, 5, 6 }, _h.Ok(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 2), ("selector", 1), ("index", 0)).GetNumbers("ids"));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, _h.Status(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 2), ("selector", 0), ("index", 0)));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, _h.Status(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 2), ("selector", 1), ("index", 3)));
    }

    [Fact]
    public void Settings_are_configured_and_read_back()
    {
        Assert.Equal(ScmiStatus.SUCCESS, Configure(_h, 1, 1, 1, (4, 1), (20, 2)));                 // i2c0_grp: function i2c0, pull-up, slew rate
        var all = _h.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 1), ("config_type", 0), ("skip_configs", 0), ("selector", 1), ("config_flag", 1));
        Assert.Equal(1ul, all.GetUInt64("function_selected"));
        Assert.Equal(new ulong[] { 4, 20 }, all.GetRecords("configs").Select(c => c.GetUInt64("config_type")));
        var one = _h.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 1), ("config_type", 20), ("skip_configs", 0), ("selector", 1), ("config_flag", 0));
        Assert.Equal(2ul, one.GetRecords("configs").Single().GetUInt64("value"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 1), ("config_type", 7), ("skip_configs", 0), ("selector", 1), ("config_flag", 0)));
        Assert.Equal(0xFFFFFFFFul, _h.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 7), ("config_type", 0), ("skip_configs", 0), ("selector", 0), ("config_flag", 2)).GetUInt64("function_selected"));

        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, Configure(_h, 1, 1, 0));                       // uart0 is not carried by i2c0_grp
        Assert.Equal(ScmiStatus.SUCCESS, Configure(_h, 0, 0, 3, (18, 1)));                          // pin uart0_tx as gpio, output high
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, Configure(_h, 7, 0, 0));                        // gpio7 is in no group of uart0
        Assert.Equal(ScmiStatus.NOT_FOUND, Configure(_h, 9, 0, null));
    }

    [Fact]
    public void Exclusive_use_and_permissions_between_agents()
    {
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 2), ("selector", 1)));
        Assert.Equal(ScmiStatus.IN_USE, guest.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 2), ("selector", 1)));
        Assert.Equal(ScmiStatus.IN_USE, Configure(guest, 2, 1, null, (4, 1)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(PinctrlMessageId.PINCTRL_RELEASE, ("identifier", 2), ("selector", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PinctrlMessageId.PINCTRL_RELEASE, ("identifier", 2), ("selector", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, Configure(guest, 2, 1, null, (4, 1)));

        Assert.Equal(ScmiStatus.DENIED, guest.Status(PinctrlMessageId.PINCTRL_SET_PERMISSIONS, ("agent_id", 1), ("identifier", 0), ("selector", 0), ("allow", 0)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PinctrlMessageId.PINCTRL_SET_PERMISSIONS, ("agent_id", 2), ("identifier", 7), ("selector", 0), ("allow", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 7), ("selector", 0)));
        Assert.Equal(ScmiStatus.DENIED, Configure(guest, 7, 0, null, (18, 0)));
        Assert.Empty(_h.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 7), ("config_type", 0), ("skip_configs", 0), ("selector", 0), ("config_flag", 1)).GetRecords("configs"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(PinctrlMessageId.PINCTRL_SET_PERMISSIONS, ("agent_id", 2), ("identifier", 7), ("selector", 0), ("allow", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 7), ("selector", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(PinctrlMessageId.PINCTRL_SET_PERMISSIONS, ("agent_id", 5), ("identifier", 7), ("selector", 0), ("allow", 1)));
    }

    [Fact]
    public void A_model_without_pinctrl_does_not_offer_the_protocol()
    {
        var text = System.Text.RegularExpressions.Regex.Replace(Vscmi.Platform.Model.ModelLoader.DefaultModelText, @"(?s)\[pinctrl\].*?(?=# Voltage domains)", "");
        text = System.Text.RegularExpressions.Regex.Replace(text, @"(?m)^pin(s|_groups|_functions) = .*$", ""); // the sandbox's pin view
        var h = new Harness(Vscmi.Platform.Model.ModelLoader.Load(text, "m.toml"));
        Assert.DoesNotContain(0x19ul, h.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols"));
        Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, h.Call(ScmiProtocolId.PINCTRL, 0x0).Status);
    }
}

/// <summary>Pin control through an agent's view: the default model's sandbox sees SPI's pins, its group, and the spi0 and gpio functions.</summary>
public class PinctrlViewTests
{
    private readonly Harness _ospm = new();
    private readonly Harness _sandbox;

    public PinctrlViewTests() => _sandbox = new Harness(_ospm.Platform, agentId: 3);

    [Fact]
    public void A_sandboxed_agent_counts_names_and_lists_only_its_own_pins_groups_and_functions()
    {
        var a = _sandbox.Ok(PinctrlMessageId.PROTOCOL_ATTRIBUTES);
        Assert.Equal((3ul, 1ul, 2ul), (a.GetUInt64("num_pins"), a.GetUInt64("num_groups"), a.GetUInt64("num_functions")));
        Assert.Equal("spi0_clk", _sandbox.Ok(PinctrlMessageId.PINCTRL_NAME_GET, ("identifier", 0), ("selector", 0)).GetText("name"));
        Assert.Equal("spi0_grp", _sandbox.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 0), ("selector", 1)).GetText("name"));
        Assert.Equal("gpio", _sandbox.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 1), ("selector", 2)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _sandbox.Status(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 3), ("selector", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _sandbox.Status(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 1), ("selector", 1)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _sandbox.Status(PinctrlMessageId.PINCTRL_NAME_GET, ("identifier", 2), ("selector", 2)));

        // Its group's pins in its own ids; the gpio function lists only the group it can see.
        Assert.Equal(new ulong[] { 0, 1, 2 }, _sandbox.Ok(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 0), ("selector", 1), ("index", 0)).GetNumbers("ids"));
        Assert.Equal(new ulong[] { 0 }, _sandbox.Ok(PinctrlMessageId.PINCTRL_LIST_ASSOCIATIONS, ("identifier", 1), ("selector", 2), ("index", 0)).GetNumbers("ids"));
        Assert.Equal(1ul, _sandbox.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 1), ("selector", 2)).GetUInt64("num_elements"));
        Assert.Equal(3ul, _ospm.Ok(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 3), ("selector", 2)).GetUInt64("num_elements"));
    }

    [Fact]
    public void A_sandboxed_agent_configures_only_its_own_pins_in_its_own_ids()
    {
        // Its pin 0 is the model's spi0_clk (pin 4); its function 0 is spi0 (function 2).
        var set = Harness.Fields(("identifier", 0), ("function_id", 0), ("selector", 1), ("function_valid", 1));
        set.Set("configs", new List<FieldSet>());
        var header = new ScmiHeader((byte)PinctrlMessageId.PINCTRL_SETTINGS_CONFIGURE, ScmiMessageType.COMMAND, 0x19, 3);
        Assert.Equal(ScmiStatus.SUCCESS, (ScmiStatus)BitConverter.ToInt32(_sandbox.Raw(ScmiMessageCodec.EncodeToArray(header, ScmiMessageKind.Command, 0, set)), 4));
        Assert.Equal(2ul, _ospm.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 2), ("config_type", 0), ("skip_configs", 0), ("selector", 1), ("config_flag", 2)).GetUInt64("function_selected"));
        Assert.Equal(0ul, _sandbox.Ok(PinctrlMessageId.PINCTRL_SETTINGS_GET, ("identifier", 0), ("config_type", 0), ("skip_configs", 0), ("selector", 1), ("config_flag", 2)).GetUInt64("function_selected"));

        // A function it cannot see (uart0) reads as none.
        _ospm.Ok(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 0), ("selector", 0));
        Assert.Equal(ScmiStatus.SUCCESS, _sandbox.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 0), ("selector", 0)));
        Assert.Equal(ScmiStatus.IN_USE, _ospm.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 4), ("selector", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _sandbox.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 3), ("selector", 0)));
    }

    [Fact]
    public void A_view_with_a_group_but_not_all_its_pins_is_refused_with_its_location()
    {
        var text = Model.ModelLoader.DefaultModelText.Replace("pins = [\"spi0_clk\", \"spi0_mosi\", \"spi0_miso\"]   #", "pins = [\"spi0_clk\"]   #", StringComparison.Ordinal);
        var error = Assert.Throws<Model.ModelException>(() => Model.ModelLoader.Load(text, "m.toml"));
        Assert.Contains("m.toml:", error.Message, StringComparison.Ordinal);
        Assert.Contains("spi0_mosi", error.Message, StringComparison.Ordinal);
    }
}
