using Vscmi.Platform.Model;

namespace Vscmi.Platform.Tests;

public class ModelLoaderTests
{
    private const string Minimal = """
        [platform]
        vendor = "acme"

        [[agent]]
        name = "OSPM"

        """;

    [Fact]
    public void The_default_model_is_a_two_cluster_soc()
    {
        var model = ModelLoader.LoadDefault();
        Assert.Equal(3, model.Agents.Count);
        Assert.True(model.Agents[0].Trusted);
        Assert.False(model.Agents[1].Trusted);
        Assert.Equal([1, 0], model.Agents[2].Views[ResourceKind.Sensor]); // the sandbox sees gpu_temp (global 1) as 0, cpu_temp (global 0) as 1
        Assert.Empty(model.Agents[2].Views[ResourceKind.Powercap]);
        Assert.Equal(2, model.PerfDomains.Count);
        Assert.Equal(8, model.Clocks.Count);
        Assert.Contains(model.Clocks, c => c.Rates is not null);
        Assert.Contains(model.Clocks, c => c.Range is not null);
        Assert.Equal(6, model.Sensors.Count);
        foreach (var unit in new byte[] { 2, 5, 6, 7, 8 })
            Assert.Contains(model.Sensors, s => s.UnitType == unit);
        Assert.Equal(4, model.PowerDomains.Count);
        Assert.Equal(3, model.ResetDomains.Count);
        Assert.Equal(3, model.VoltageDomains.Count);
        Assert.Equal(500u * 1000, model.PerfDomains[0].Opps[0].FrequencyKhz);
    }

    [Fact]
    public void A_minimal_model_loads()
    {
        var model = ModelLoader.Load(Minimal, "m.toml");
        Assert.Equal("acme", model.Platform.Vendor);
        Assert.Empty(model.Clocks);
        Assert.False(model.Agents[0].AllowUnsealedMemory); // guest RAM that can shrink is refused unless allowed
        Assert.Equal(16, model.Agents[0].MaxConnections);
        Assert.Equal((100_000, 100_000, 65_536), (model.Agents[0].CommandsPerSecond, model.Agents[0].CommandBurst, model.Agents[0].TraceBufferBytes));
    }

    [Fact]
    public void An_agents_command_rate_and_trace_share_are_read_from_the_model_and_from_a_vm_view()
    {
        var model = ModelLoader.Load("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommands_per_second = 500\n[[agent]]\nname = \"b\"\ncommands_per_second = 50\ncommand_burst = 7\ntrace_buffer_bytes = 2048\n[[agent]]\nname = \"c\"\ncommands_per_second = 0\n", "m.toml");
        Assert.Equal([(500, 500), (50, 7), (0, 1)], model.Agents.Select(a => (a.CommandsPerSecond, a.CommandBurst)));
        Assert.Equal(2048, model.Agents[1].TraceBufferBytes);
        var vm = ModelLoader.AgentFromText(model, "vm", "commands_per_second = 0", "view.toml");
        Assert.Equal(0, vm.CommandsPerSecond);
        Assert.All(ModelLoader.WithoutCommandLimits(model).Agents, a => Assert.Equal(0, a.CommandsPerSecond));
    }

    [Fact]
    public void An_agent_may_be_allowed_unsealed_guest_memory()
    {
        var model = ModelLoader.Load("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nallow_unsealed_memory = true\n[[agent]]\nname = \"b\"\n", "m.toml");
        Assert.Equal([true, false], model.Agents.Select(a => a.AllowUnsealedMemory));
        Assert.True(ModelLoader.AgentFromText(model, "c", "allow_unsealed_memory = true", "view.toml").AllowUnsealedMemory);
    }

    [Theory]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncolour = 3\n", "m.toml:5:1", "unknown key 'colour' in [agent[0]]")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nvhost_user = \"\"\n", "m.toml:5:14", "'vhost_user' in [agent[0]] must be a Unix socket path of 1 to 107 bytes")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nvhost_user = 7\n", "m.toml:5:14", "'vhost_user' in [agent[0]] must be a string")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\n[bogus]\nx = 1\n", "m.toml:5:1", "unknown key 'bogus'")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nallow_unsealed_memory = \"yes\"\n", "m.toml:5:25", "'allow_unsealed_memory' in [agent[0]] must be a boolean")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nmax_connections = 0\n", "m.toml:5:19", "'max_connections' in [agent[0]] is 0: it must be 1 to 1024")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nmax_connections = 5000\n", "m.toml:5:19", "is 5000: it must be 1 to 1024")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommands_per_second = -1\n", "m.toml:5:23", "'commands_per_second' in [agent[0]] is -1: it must be 0 (no limit) to 10000000")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommands_per_second = 20000000\n", "m.toml:5:23", "is 20000000: it must be 0 (no limit) to 10000000")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommand_burst = 0\n", "m.toml:5:17", "'command_burst' in [agent[0]] is 0: it must be 1 to 10000000")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommands_per_second = 0\ncommand_burst = 5\n", "m.toml:6:17", "'command_burst' in [agent[0]] is 5, but 'commands_per_second' is 0")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ntrace_buffer_bytes = 100\n", "m.toml:5:22", "'trace_buffer_bytes' in [agent[0]] is 100: it must be 1024 to 67108864")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\ncommands_per_second = \"fast\"\n", "m.toml:5:23", "'commands_per_second' in [agent[0]] must be an integer")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\nx = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "m.toml:5:1", "nested too deeply")] // AFL++ found it (fuzz/corpus/model/crash-model-deep-nesting)
    [InlineData("[platform]\nvendor = 5\n[[agent]]\nname = \"a\"\n", "m.toml:2:10", "'vendor' in [platform] must be a string, not an integer")]
    [InlineData("[platform]\nvendor = \"a_vendor_name_that_is_too_long\"\n[[agent]]\nname = \"a\"\n", "m.toml:2:10", "at most 15")]
    [InlineData("[platform]\nvendor = \"x\"\n", "m.toml:1:1", "at least one [[agent]]")]
    [InlineData("[[agent]]\nname = \"a\"\n", "m.toml:1:1", "needs a [platform] table")]
    [InlineData("[platform]\nvendor = \"x\"\n[[agent]]\nname = \"a\"\n[[agent]]\nname = \"a\"\n", "m.toml", "two [[agent]] entries are named 'a'")]
    [InlineData("[platform\nvendor = \"x\"\n", "m.toml:1:", "")]
    public void Errors_name_file_line_column_and_key(string text, string location, string message)
    {
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(text, "m.toml"));
        Assert.StartsWith(location, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [2, 1]\n", "8:", "strictly ascending")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = []\n", "8:", "1 to 16")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n", "8:", "1 to 16")]
    [InlineData("[[clock]]\nname = \"c\"\nrange = { min = 10, max = 5, step = 1 }\n", "8:", "0 < min <= max")]
    [InlineData("[[clock]]\nname = \"c\"\nrange = { min = 10, max = 20, step = 3 }\n", "8:", "multiple of step")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1]\nrange = { min = 1, max = 2, step = 1 }\n", "6:", "exactly one of 'rates' or 'range'")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1, 2]\nrate = 3\n", "9:", "'rate' = 3")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1]\nparents = [\"nope\"]\n", "9:", "parent 'nope'")]
    [InlineData("[[clock]]\nname = \"\"\nrates = [1]\n", "7:", "1 to 63 printable")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1]\nrange = 3\n", "9:", "must be a table")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nopps = [{ level = 2 }, { level = 1 }]\n", "10:", "strictly ascending")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nopps = [{ level = 1, volts = 2 }]\n", "10:", "unknown key 'volts'")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nlevel = 7\nopps = [{ level = 1 }]\n", "10:", "'level' = 7")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_level = 1\nopps = [{ level = 1 }]\n", "6:", "needs 'sustained_freq_khz'")]
    [InlineData("[[sensor]]\nname = \"s\"\ntype = \"furlongs\"\nsource = { kind = \"constant\", value = 1 }\n", "8:", "not a sensor unit")]
    [InlineData("[[sensor]]\nname = \"s\"\ntype = \"volts\"\nunit_exponent = 20\nsource = { kind = \"constant\", value = 1 }\n", "9:", "-16..15")]
    [InlineData("[[sensor]]\nname = \"s\"\ntype = \"volts\"\nsource = { kind = \"magic\" }\n", "9:", "source kind 'magic'")]
    [InlineData("[[sensor]]\nname = \"s\"\ntype = \"volts\"\nsource = { kind = \"random_walk\", start = 9, min = 1, max = 5, step = 1 }\n", "9:", "min <= start <= max")]
    [InlineData("[[sensor]]\nname = \"s\"\ntype = \"volts\"\nsource = { kind = \"sine\", base = 1, amplitude = 1, period_s = 0 }\n", "9:", "greater than 0")]
    [InlineData("[[power_domain]]\nname = \"a\"\nparent = \"b\"\n[[power_domain]]\nname = \"b\"\nparent = \"a\"\n", "8:", "cycle")]
    [InlineData("[[power_domain]]\nname = \"a\"\nstate = \"dim\"\n", "8:", "\"on\" or \"off\"")]
    [InlineData("[[power_domain]]\nname = \"a\"\nstate = \"on\"\nparent = \"b\"\n[[power_domain]]\nname = \"b\"\n", "8:", "its parent 'b' is off")]
    [InlineData("[[voltage_domain]]\nname = \"v\"\nlevels_uv = [1, 2]\nlevel_uv = 3\n", "9:", "'level_uv' = 3")]
    [InlineData("[[voltage_domain]]\nname = \"v\"\nrange_uv = { min = 1, max = 10, step = 2 }\n", "8:", "multiple of step")]
    [InlineData("[[reset_domain]]\nname = \"r\"\nlatency_us = -1\n", "8:", "out of range")]
    [InlineData("[[sensor]]\nname = \"s\"\nsource = { kind = \"hwmon\", chip = \"c\", channel = \"volume1\" }\n", "8:", "'channel' = \"volume1\"")]
    [InlineData("[[sensor]]\nname = \"s\"\nsource = { kind = \"hwmon\", chip = \"../x\", channel = \"temp1\" }\n", "8:", "not a path")]
    [InlineData("[[sensor]]\nname = \"s\"\nsource = { kind = \"iio\", device = \"adc\", channel = \"out_voltage0\" }\n", "8:", "known unit")]
    [InlineData("[[sensor]]\nname = \"s\"\nsource = { kind = \"thermal\" }\n", "8:", "needs 'zone'")]
    [InlineData("[[sensor]]\nname = \"s\"\nsource = { kind = \"hwmon\", chip = \"c\", channel = \"temp1\", scale = 2 }\n", "8:", "unknown key 'scale'")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nopps = [{ level = 1 }]\nbackend = { kind = \"clk\", clock = \"a\" }\n", "11:", "is not 'cpufreq'")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nopps = [{ level = 1 }]\ncontrol = true\n", "11:", "needs a 'backend'")]
    [InlineData("[[perf]]\nname = \"p\"\nsustained_freq_khz = 1000\nsustained_level = 1\nopps = [{ level = 1 }]\nbackend = { kind = \"cpufreq\", policy = \"../../x\" }\n", "11:", "a name, not a path")]
    [InlineData("[[power_domain]]\nname = \"p\"\nbackend = { kind = \"runtime_pm\", device = \"devices/../../etc\" }\n", "8:", "a device path under sysfs")]
    [InlineData("[[power_domain]]\nname = \"p\"\nbackend = { kind = \"runtime_pm\" }\n", "8:", "needs 'device'")]
    [InlineData("[[voltage_domain]]\nname = \"v\"\nlevels_uv = [1]\nbackend = { kind = \"regulator\", regulator = \"r\", consumer = \"a/../../b\" }\n", "9:", "reg-userspace-consumer")]
    [InlineData("[[clock]]\nname = \"c\"\nrates = [1]\nbackend = { kind = \"clk\", clock = \"c\", speed = 1 }\n", "9:", "unknown key 'speed'")]
    [InlineData("[host]\nsysfs = \"relative/sys\"\n", "7:", "absolute path")]
    [InlineData("[host]\nprocfs = \"/proc\"\n", "7:", "unknown key 'procfs'")]
    [InlineData("[system_power]\nhibernate = true\n", "7:", "unknown key 'hibernate'")]
    public void Resource_errors_are_located(string resource, string line, string message)
    {
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(Minimal + resource, "soc.toml"));
        Assert.StartsWith("soc.toml:" + line, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_model_error()
    {
        var e = Assert.Throws<ModelException>(() => ModelLoader.LoadFile("/nonexistent/soc.toml"));
        Assert.Contains("/nonexistent/soc.toml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_and_mutated_text_only_ever_raises_model_errors()
    {
        var random = new Random(5);
        var source = ModelLoader.DefaultModelText;
        const string alphabet = "[]{}=\"',.#\n abc0123456789-_xyz\t";
        for (var i = 0; i < 3000; i++)
        {
            var chars = source.ToCharArray();
            for (var m = random.Next(1, 6); m > 0; m--)
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            var text = i % 10 == 0
                ? new string(Enumerable.Range(0, random.Next(0, 200)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())
                : new string(chars);
            try
            {
                ModelLoader.Load(text, "fuzz.toml");
            }
            catch (ModelException e)
            {
                Assert.StartsWith("fuzz.toml", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Text_that_makes_the_TOML_parser_throw_is_a_model_error_with_a_location()
    {
        // 40 bytes the fuzzer found (fuzz/Vscmi.Fuzz model): Tomlyn threw ArgumentOutOfRangeException.
        var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String("3k8HLimquhLjXJyA2LglA7OkDLkCZqRAACLZoM9Q27Xty42jxmYMXA=="));
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(text, "m.toml"));
        Assert.StartsWith("m.toml:1:1: malformed text", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Every count a model declares must fit the field that carries it (issue 11, defect 5: 70,008
/// clocks passed and CLOCK PROTOCOL_ATTRIBUTES reported 4,472 clocks and a max_async of 17).
/// </summary>
public class WireLimitTests
{
    private const string Minimal = "[platform]\nvendor = \"acme\"\n\n[[agent]]\nname = \"OSPM\"\n\n";

    private static string Tables(string key, int count, Func<int, string> body) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"[[{key}]]\nname = \"r{i}\"\n{body(i)}\n"));

    [Fact]
    public void Limits_come_from_the_message_descriptions()
    {
        Assert.Equal(65535ul, WireLimits.Resources(ResourceKind.Clock).Max);
        Assert.Contains("num_clocks in 16 bits", WireLimits.Resources(ResourceKind.Clock).Reason, StringComparison.Ordinal);
        Assert.Equal(65535ul, WireLimits.Resources(ResourceKind.PinGroup).Max);
        Assert.Equal(255ul, WireLimits.TripPoints.Max);
        Assert.Equal(255ul, WireLimits.ClockParents.Max);
        Assert.Equal(65535ul, WireLimits.PinElements.Max);
        // Every kind has its field (the loader checks each the same way; one 65,536-table model
        // costs Tomlyn about 8 s to parse, so only clocks are tried in full).
        foreach (var kind in Enum.GetValues<ResourceKind>())
            Assert.Equal(65535ul, WireLimits.Resources(kind).Max);
    }

    [Fact]
    public void A_model_with_more_clocks_than_16_bits_carry_is_refused_at_the_first_one_too_many()
    {
        var text = Minimal + Tables("clock", 70_008, _ => "rates = [1]");
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(text, "big.toml"));
        // [[clock]] number 65,536 (0-based 65,535) starts at line 7 + 3 * 65,535.
        Assert.StartsWith($"big.toml:{7 + (3 * 65_535)}:", e.Message, StringComparison.Ordinal);
        Assert.Contains("70008 [[clock]] tables: at most 65535 (CLOCK PROTOCOL_ATTRIBUTES carries num_clocks in 16 bits)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_count_that_fits_is_accepted_and_reported_whole()
    {
        var text = Minimal + Tables("clock", 65_535, _ => "rates = [1]");
        var model = ModelLoader.Load(text, "big.toml");
        var h = new Harness(model);
        var attributes = h.Ok(Vscmi.Protocol.Protocols.ClockMessageId.PROTOCOL_ATTRIBUTES);
        Assert.Equal((65535ul, (ulong)AgentSession.MaxPendingAsync), (attributes.GetUInt64("num_clocks"), attributes.GetUInt64("max_async_requests")));
    }

    [Fact]
    public void Pin_lists_and_trip_points_are_bounded_too()
    {
        var pins = string.Join(", ", Enumerable.Range(0, 65_536).Select(i => $"\"p{i}\""));
        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(Minimal + $"[pinctrl]\npins = [{pins}]\n", "m.toml"));
        Assert.Contains("'pins' in [pinctrl] has 65536 entries: at most 65535 (PINCTRL PROTOCOL_ATTRIBUTES carries num_pins in 16 bits)", e.Message, StringComparison.Ordinal);

        var trips = Assert.Throws<ModelException>(() => ModelLoader.Load(Minimal + "[[sensor]]\nname = \"s\"\ntype = \"volts\"\ntrip_points = 256\nsource = { kind = \"constant\", value = 1 }\n", "m.toml"));
        Assert.StartsWith("m.toml:10:", trips.Message, StringComparison.Ordinal);
        Assert.Contains("num_trip_points in 8 bits", trips.Message, StringComparison.Ordinal);
    }
}
