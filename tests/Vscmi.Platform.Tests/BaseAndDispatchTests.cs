using System.Buffers.Binary;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

public class BaseAndDispatchTests
{
    private readonly Harness _h = new();

    public static TheoryData<ScmiProtocolId> Served =>
    [
        ScmiProtocolId.BASE, ScmiProtocolId.POWER, ScmiProtocolId.SYSTEM, ScmiProtocolId.PERF,
        ScmiProtocolId.CLOCK, ScmiProtocolId.SENSOR, ScmiProtocolId.RESET, ScmiProtocolId.VOLTAGE, ScmiProtocolId.POWERCAP, ScmiProtocolId.PINCTRL,
    ];

    /// <summary>The SCMI v3.2 versions as the reference (1.8) gives them: pinned here, not read from the catalog under test.</summary>
    public static TheoryData<ScmiProtocolId, uint> SpecVersions => new()
    {
        { ScmiProtocolId.BASE, 0x20001 }, { ScmiProtocolId.POWER, 0x30001 }, { ScmiProtocolId.SYSTEM, 0x20001 },
        { ScmiProtocolId.PERF, 0x40000 }, { ScmiProtocolId.CLOCK, 0x30000 }, { ScmiProtocolId.SENSOR, 0x30001 },
        { ScmiProtocolId.RESET, 0x30001 }, { ScmiProtocolId.VOLTAGE, 0x20001 }, { ScmiProtocolId.POWERCAP, 0x20000 },
        { ScmiProtocolId.PINCTRL, 0x10000 },
    };

    [Theory]
    [MemberData(nameof(SpecVersions))]
    public void Every_protocol_reports_its_v3_2_version_and_negotiates(ScmiProtocolId protocol, uint version)
    {
        Assert.Equal((ulong)version, _h.Call(protocol, 0x0).Fields.GetUInt64("version"));
        Assert.Equal(0, _h.Call(protocol, 0x10, ("version", version)).Status);
        Assert.Equal(version, _h.Session.NegotiatedVersion((byte)protocol));
        Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, _h.Call(protocol, 0x10, ("version", version + 1)).Status);
        Assert.Equal((int)ScmiStatus.NOT_SUPPORTED, _h.Call(protocol, 0x10, ("version", version + 0x10000)).Status);
        if ((version & 0xFFFF) > 0)
            Assert.Equal(0, _h.Call(protocol, 0x10, ("version", version - 1)).Status);
    }

    [Theory]
    [MemberData(nameof(Served))]
    public void Message_attributes_come_from_the_table(ScmiProtocolId protocol)
    {
        foreach (var message in ScmiCatalog.Get(protocol).Messages)
        {
            var reply = _h.Call(protocol, 0x2, ("message_id", (uint)message.Id));
            Assert.Equal(0, reply.Status); // every command of the catalog is implemented
        }

        Assert.Equal((int)ScmiStatus.NOT_FOUND, _h.Call(protocol, 0x2, ("message_id", 0x3Fu)).Status);
        Assert.Equal((int)ScmiStatus.NOT_FOUND, _h.Call(protocol, 0x2, ("message_id", 0x106u)).Status);
    }

    [Fact]
    public void Protocol_attributes_count_protocols_without_base_and_agents()
    {
        var fields = _h.Ok(BaseMessageId.PROTOCOL_ATTRIBUTES);
        Assert.Equal(10ul, fields.GetUInt64("num_protocols")); // OSPM is trusted: the vendor protocol too
        Assert.Equal(9ul, new Harness(_h.Platform, agentId: 2).Ok(BaseMessageId.PROTOCOL_ATTRIBUTES).GetUInt64("num_protocols"));
        Assert.Equal(3ul, fields.GetUInt64("num_agents"));
    }

    [Fact]
    public void Discovers_vendor_sub_vendor_and_implementation_version()
    {
        Assert.Equal("vscmi", _h.Ok(BaseMessageId.BASE_DISCOVER_VENDOR).GetText("vendor_identifier"));
        Assert.Equal("virt-soc", _h.Ok(BaseMessageId.BASE_DISCOVER_SUB_VENDOR).GetText("sub_vendor_identifier"));
        Assert.Equal(0x10000ul, _h.Ok(BaseMessageId.BASE_DISCOVER_IMPLEMENTATION_VERSION).GetUInt64("implementation_version"));
    }

    [Fact]
    public void Lists_protocols_with_skip()
    {
        // An untrusted agent: the standard protocols only.
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(new ulong[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19 }, guest.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols"));
        Assert.Equal(new ulong[] { 0x16, 0x17, 0x18, 0x19 }, guest.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 5)).GetNumbers("protocols"));
        Assert.Empty(guest.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 9)).GetNumbers("protocols"));
        Assert.Equal(ScmiStatus.INVALID_PARAMETERS, guest.Status(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 10)));
        // The trusted OSPM also sees vscmi's vendor protocol.
        Assert.Equal(new ulong[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x80 }, _h.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols"));
    }

    [Fact]
    public void Discovers_agents_including_the_platform_and_the_caller()
    {
        Assert.Equal("platform", _h.Ok(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 0)).GetText("name"));
        Assert.Equal("guest", _h.Ok(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 2)).GetText("name"));
        var self = _h.Ok(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 0xFFFFFFFFu));
        Assert.Equal((1ul, "OSPM"), (self.GetUInt64("agent_id"), self.GetText("name")));
        Assert.Equal("sandbox", _h.Ok(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 3)).GetText("name"));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(BaseMessageId.BASE_DISCOVER_AGENT, ("agent_id", 4)));
    }

    [Fact]
    public void Notify_errors_needs_a_p2a_channel()
    {
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_NOTIFY_ERRORS, ("notify_enable", 1)));
        var noP2A = new Harness(hasP2A: false);
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, noP2A.Status(BaseMessageId.BASE_NOTIFY_ERRORS, ("notify_enable", 1)));
    }

    /// <summary>
    /// BASE_SET_PROTOCOL_PERMISSIONS is per (agent, device, protocol): device_id is a device, never
    /// "all devices" (before the fix device 0 was a wildcard and every other device NOT_SUPPORTED).
    /// </summary>
    [Fact]
    public void A_trusted_agent_denies_and_restores_one_protocol_of_one_device_for_another()
    {
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.DENIED, guest.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 1), ("device_id", 1), ("protocol_id", 0x14), ("allow", 0)));

        // Device 1 (gpu): its clock gpu_core (6) only; its other protocols, other clocks and other agents keep access.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 2), ("device_id", 1), ("protocol_id", 0x14), ("allow", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 6)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)));  // the gpu's power domain
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 1))); // and its regulator
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.PROTOCOL_ATTRIBUTES));
        Assert.Contains(0x14ul, guest.Ok(BaseMessageId.BASE_DISCOVER_LIST_PROTOCOLS, ("skip", 0)).GetNumbers("protocols"));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));

        // Allowed again by the same command.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 2), ("device_id", 1), ("protocol_id", 0x14), ("allow", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));

        // Device 0 (uart0) is a device like any other: its clock and its pins.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 2), ("device_id", 0), ("protocol_id", 0x19), ("allow", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 0), ("selector", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 0), ("selector", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(PinctrlMessageId.PINCTRL_REQUEST, ("identifier", 2), ("selector", 0)));   // i2c0_scl: no device
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4)));                       // uart0's clock

        // BASE_RESET_AGENT_CONFIGURATION with bit 0 restores protocol permissions too; without it, not.
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", 2), ("device_id", 1), ("protocol_id", 0x14), ("allow", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(PinctrlMessageId.PINCTRL_ATTRIBUTES, ("identifier", 0), ("selector", 1)));
    }

    [Theory]
    [InlineData(9u, 1u, 0x14u, ScmiStatus.NOT_FOUND)]      // no such agent
    [InlineData(0u, 1u, 0x14u, ScmiStatus.NOT_FOUND)]      // the platform is not an agent to configure
    [InlineData(2u, 2u, 0x14u, ScmiStatus.NOT_FOUND)]      // no such device (the model has two)
    [InlineData(2u, 0xFFFFFFFFu, 0x14u, ScmiStatus.NOT_FOUND)]
    [InlineData(2u, 1u, 0x42u, ScmiStatus.NOT_FOUND)]      // no such protocol
    [InlineData(2u, 1u, 0x10u, ScmiStatus.NOT_SUPPORTED)]  // the Base protocol cannot be denied
    [InlineData(2u, 1u, 0x13u, ScmiStatus.NOT_SUPPORTED)]  // gpu has no performance domain
    [InlineData(2u, 0u, 0x11u, ScmiStatus.NOT_SUPPORTED)]  // uart0 has no power domain
    [InlineData(2u, 1u, 0x15u, ScmiStatus.SUCCESS)]
    public void Protocol_permission_statuses(uint agent, uint device, uint protocol, ScmiStatus expected)
    {
        Assert.Equal(expected, _h.Status(BaseMessageId.BASE_SET_PROTOCOL_PERMISSIONS, ("agent_id", agent), ("device_id", device), ("protocol_id", protocol), ("allow", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 0), ("reset_permissions", 0)));
    }

    [Fact]
    public void A_trusted_agent_denies_another_a_whole_device()
    {
        var guest = new Harness(_h.Platform, agentId: 2);
        Assert.Equal(ScmiStatus.DENIED, guest.Status(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 1), ("device_id", 1), ("allow", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 2), ("device_id", 2), ("allow", 0)));
        Assert.Equal(ScmiStatus.NOT_FOUND, _h.Status(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 4), ("device_id", 1), ("allow", 0)));

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 2), ("device_id", 1), ("allow", 0))); // the gpu device
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_SET, ("async", 0), ("rounding", 0), ("clock_id", 6), ("rate", 200000000ul)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ResetMessageId.RESET_DOMAIN_NAME_GET, ("domain_id", 2)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(VoltageMessageId.VOLTAGE_LEVEL_GET, ("domain_id", 1)));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(SensorMessageId.SENSOR_READING_GET, ("sensor_id", 1), ("async", 0)));
        Assert.Equal(500000000ul, _h.Ok(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 6)).GetUInt64("rate")); // unchanged, and OSPM still may
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4)));    // uart0 is another device

        Assert.Equal(ScmiStatus.SUCCESS, _h.Status(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 2), ("device_id", 1), ("allow", 1)));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(PowerMessageId.POWER_STATE_GET, ("domain_id", 0)));
        _h.Ok(BaseMessageId.BASE_SET_DEVICE_PERMISSIONS, ("agent_id", 2), ("device_id", 0), ("allow", 0));
        Assert.Equal(ScmiStatus.DENIED, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4)));
        _h.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 1));
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_RATE_GET, ("clock_id", 4)));
    }

    [Fact]
    public void Reset_agent_configuration_forgets_subscriptions()
    {
        _h.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 1), ("notify_enable", 1));
        Assert.True(_h.Session.IsSubscribed(0x14, (byte)ClockMessageId.CLOCK_RATE_NOTIFY, 1));
        _h.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 1), ("reset_permissions", 0));
        Assert.False(_h.Session.IsSubscribed(0x14, (byte)ClockMessageId.CLOCK_RATE_NOTIFY, 1));

        // Another agent's channels are reset too when a trusted agent resets that agent.
        var guest = new Harness(_h.Platform, agentId: 2);
        guest.Ok(ClockMessageId.CLOCK_RATE_NOTIFY, ("clock_id", 1), ("notify_enable", 1));
        _h.Ok(BaseMessageId.BASE_RESET_AGENT_CONFIGURATION, ("agent_id", 2), ("reset_permissions", 0));
        Assert.False(guest.Session.IsSubscribed(0x14, (byte)ClockMessageId.CLOCK_RATE_NOTIFY, 1));
    }

    [Theory]
    [InlineData(0x42u, 0x00u)]  // unknown protocol
    [InlineData(0x14u, 0x7Fu)]  // unknown message
    [InlineData(0x1Bu, 0x00u)]  // telemetry (SCMI v4.0): not served
    public void Unknown_protocols_and_messages_are_not_supported(uint protocol, uint message)
    {
        var reply = _h.Raw(Words((protocol << 10) | message | (9u << 18)));
        Assert.Equal(Words((protocol << 10) | message | (9u << 18), unchecked((uint)(int)ScmiStatus.NOT_SUPPORTED)), reply);
    }

    [Theory]
    [InlineData(new uint[] { 0x00005006 }, ScmiStatus.PROTOCOL_ERROR)]                                   // CLOCK_RATE_GET without clock_id
    [InlineData(new uint[] { 0x00005006, 1, 0 }, ScmiStatus.PROTOCOL_ERROR)]                             // trailing word
    [InlineData(new uint[] { 0x00005005, 0x20, 1, 0, 0 }, ScmiStatus.INVALID_PARAMETERS)]                // reserved flag bit
    [InlineData(new uint[] { 0x00005005, 0x0C, 1, 0, 0 }, ScmiStatus.INVALID_PARAMETERS)]                // reserved rounding mode 3
    [InlineData(new uint[] { 0x00005206, 1 }, ScmiStatus.PROTOCOL_ERROR)]                                // type 2 from an agent
    [InlineData(new uint[] { 0x00005106, 1 }, ScmiStatus.PROTOCOL_ERROR)]                                // reserved type 1
    [InlineData(new uint[] { 0x10005006, 1 }, ScmiStatus.PROTOCOL_ERROR)]                                // reserved header bits
    [InlineData(new uint[] { 0x00004806, 0 }, ScmiStatus.NOT_SUPPORTED)]                                 // SYSTEM 0x6 does not exist
    [InlineData(new uint[] { 0x00004803, 0, 5 }, ScmiStatus.INVALID_PARAMETERS)]                         // reserved system state
    public void Malformed_requests_get_the_spec_status_and_only_the_status(uint[] words, ScmiStatus expected)
    {
        var reply = _h.Raw(Words(words));
        Assert.Equal(8, reply.Length);
        Assert.Equal(words[0], BinaryPrimitives.ReadUInt32LittleEndian(reply));
        Assert.Equal((int)expected, BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(4)));
    }

    [Fact]
    public void A_payload_over_the_channel_maximum_is_a_protocol_error()
    {
        var message = new byte[4 + 129];
        BinaryPrimitives.WriteUInt32LittleEndian(message, 0x00005006);
        Assert.Equal((int)ScmiStatus.PROTOCOL_ERROR, BinaryPrimitives.ReadInt32LittleEndian(_h.Raw(message).AsSpan(4)));
    }

    [Fact]
    public void Fewer_than_four_bytes_get_no_reply()
    {
        Assert.Empty(_h.Raw([1, 2, 3]));
    }

    [Fact]
    public void Tokens_are_echoed_for_every_value()
    {
        for (uint token = 0; token <= ScmiHeader.MaxToken; token += 31)
        {
            var header = 0x00004000u | (token << 18);
            Assert.Equal(header, BinaryPrimitives.ReadUInt32LittleEndian(_h.Raw(Words(header))));
        }
    }

    [Fact]
    public void Random_requests_never_throw_and_always_answer_within_the_channel()
    {
        var random = new Random(3);
        for (var i = 0; i < 20_000; i++)
        {
            var message = new byte[random.Next(0, 150)];
            random.NextBytes(message);
            if (message.Length >= 4 && random.Next(2) == 0)
            {
                // Mostly valid headers with a served protocol, so handlers run on garbage parameters.
                var header = (uint)random.Next(0, 0x12) | ((uint)random.Next(0x10, 0x18) << 10) | ((uint)random.Next(1024) << 18);
                BinaryPrimitives.WriteUInt32LittleEndian(message, header);
            }

            var reply = _h.Raw(message);
            Assert.True(reply.Length == 0 ? message.Length < 4 : reply.Length >= 8);
        }
    }

    internal static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }
}

/// <summary>A bug in one handler answers GENERIC_ERROR, is reported, and harms nothing else (architecture.md).</summary>
public class HandlerFailureTests
{
    [Fact]
    public async Task A_throwing_handler_answers_generic_error_reports_it_and_the_platform_goes_on()
    {
        var ospm = new Harness();
        var guest = new Harness(ospm.Platform, agentId: 2);
        ospm.Ok(BaseMessageId.BASE_NOTIFY_ERRORS, ("notify_enable", 1));
        ospm.Platform.Table.Replace((byte)ScmiProtocolId.CLOCK, (byte)ClockMessageId.CLOCK_RATE_GET,
            (ref Handlers.ScmiRequest request, ref ScmiWriter reply) => throw new InvalidOperationException("injected"));

        var header = new ScmiHeader((byte)ClockMessageId.CLOCK_RATE_GET, ScmiMessageType.COMMAND, (byte)ScmiProtocolId.CLOCK, 9);
        var reply = guest.Raw(BaseAndDispatchTests.Words(header.Value, 0));
        Assert.Equal(BaseAndDispatchTests.Words(header.Value, unchecked((uint)(int)ScmiStatus.GENERIC_ERROR)), reply); // the status alone

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var report = ScmiMessageCodec.Decode(await ospm.Session.Outbox.ReadAsync(timeout.Token), ScmiMessageKind.Notification);
        Assert.Equal("BASE_ERROR_EVENT", report.Name);
        Assert.Equal((2ul, 0ul), (report.Fields.GetUInt64("agent_id"), report.Fields.GetUInt64("fatal")));
        Assert.Equal(new[] { ((ulong)header.Value << 32) | 0xFFFFFFF8 }, report.Fields.GetNumbers("reports")); // (header << 32) | GENERIC_ERROR

        // Everything else is served, the same agent included, and the lock was released.
        Assert.Equal(ScmiStatus.SUCCESS, guest.Status(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0)));
        Assert.Equal(ScmiStatus.SUCCESS, ospm.Status(PerfMessageId.PERFORMANCE_LEVEL_GET, ("domain_id", 0)));
    }

    [Fact]
    public async Task A_throwing_delayed_completion_answers_generic_error_on_its_timer_and_the_platform_goes_on()
    {
        // An exception on a timer's thread would end the process: the completion's bug must come
        // back as the command's delayed response with GENERIC_ERROR instead.
        var ospm = new Harness();
        var platform = ospm.Platform;
        platform.Table.Replace((byte)ScmiProtocolId.CLOCK, (byte)ClockMessageId.CLOCK_RATE_SET,
            (ref Handlers.ScmiRequest request, ref ScmiWriter reply) =>
            {
                platform.CompleteLater(request.Agent, request.Header, TimeSpan.FromMilliseconds(5), () => throw new InvalidOperationException("injected"));
                return ScmiStatus.SUCCESS;
            });

        var header = new ScmiHeader((byte)ClockMessageId.CLOCK_RATE_SET, ScmiMessageType.COMMAND, (byte)ScmiProtocolId.CLOCK, 4);
        Assert.Equal(BaseAndDispatchTests.Words(header.Value, 0), ospm.Raw(BaseAndDispatchTests.Words(header.Value, 1, 2, 100000000, 0)));
        ospm.Session.RepliesDelivered(ospm.Session.CommandsHandled);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var delayed = await ospm.Session.Outbox.ReadAsync(timeout.Token);
        Assert.Equal(BaseAndDispatchTests.Words(header.WithType(ScmiMessageType.DELAYED_RESPONSE).Value, unchecked((uint)(int)ScmiStatus.GENERIC_ERROR)), delayed);
        Assert.Equal(ScmiStatus.SUCCESS, ospm.Status(ClockMessageId.CLOCK_ATTRIBUTES, ("clock_id", 0)));
    }
}
