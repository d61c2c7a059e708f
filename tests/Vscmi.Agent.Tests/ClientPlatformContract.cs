namespace Vscmi.Agent.Tests;

/// <summary>
/// The typed client against the real platform, every protocol, over whatever transport a subclass
/// connects through: a Unix socket here, vhost-user to a separate daemon process in the
/// integration tests. Each test starts from a fresh platform; OSPM (agent 1) and guest (agent 2).
/// </summary>
public abstract class ClientPlatformContract : IAsyncLifetime
{
    private ScmiClient _c = null!;
    private ScmiClient _guest = null!;

    public async Task InitializeAsync() => (_c, _guest) = await ConnectAsync();

    /// <summary>OSPM's client (agent 1), for a transport's own tests.</summary>
    protected ScmiClient Ospm => _c;

    public async Task DisposeAsync()
    {
        await _c.DisposeAsync();
        await _guest.DisposeAsync();
        await StopAsync();
    }

    /// <summary>Starts a platform and connects agent 1 (OSPM) and agent 2 (guest).</summary>
    protected abstract Task<(ScmiClient Ospm, ScmiClient Guest)> ConnectAsync();

    /// <summary>Stops the platform.</summary>
    protected abstract Task StopAsync();

    /// <summary>The next notification named <paramref name="name"/> OSPM receives (others are skipped), within 10 s.</summary>
    protected async Task<Protocol.Schema.FieldSet> NextNotificationAsync(string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var n in _c.ReadNotificationsAsync(timeout.Token))
        {
            if (n.Name == name)
                return n.Fields;
        }

        throw new InvalidOperationException($"no {name}");
    }

    [Fact]
    public async Task Discovery()
    {
        var info = await _c.Base.DiscoverAsync();
        Assert.Equal(("vscmi", "virt-soc", 0x10000u, 3, 0x20001u), (info.Vendor, info.SubVendor, info.ImplementationVersion, info.AgentCount, info.BaseVersion));
        Assert.Equal(new byte[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x80 }, info.Protocols); // OSPM is trusted: vscmi's vendor protocol too
        Assert.Equal(new byte[] { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19 }, (await _guest.Base.DiscoverAsync()).Protocols);
        Assert.Equal(new AgentInfo(2, "guest"), await _guest.Base.DiscoverAgentAsync(0xFFFFFFFF));
        Assert.Equal(0x30000u, await _c.Clock.GetVersionAsync());
        Assert.True(await _c.Clock.NegotiateVersionAsync(0x30000));
        Assert.False(await _c.Clock.NegotiateVersionAsync(0x40000));
        Assert.Equal(0u, await _c.Clock.GetMessageAttributesAsync(0x5));
        Assert.Equal(0u, await _c.Base.GetMessageAttributesAsync(0x9));
        Assert.Null(await _c.Base.GetMessageAttributesAsync(0x3F)); // no such message: NOT_FOUND
        await _c.Base.NotifyErrorsAsync(true);
    }

    [Fact]
    public async Task Base_permissions_through_the_client()
    {
        // Device 1 of the default model is the gpu: its voltage domain (vdd_gpu, 1) only.
        await _c.Base.SetProtocolPermissionsAsync(2, 1, ScmiProtocolId.VOLTAGE, allow: false);
        Assert.Equal(ScmiStatus.DENIED, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.Voltage.GetLevelAsync(1))).StatusCode);
        Assert.Equal(900000, await _guest.Voltage.GetLevelAsync(0));
        await _c.Base.ResetAgentConfigurationAsync(2, resetPermissions: true);
        Assert.True(await _guest.Voltage.GetLevelAsync(1) > 0);
        // Device 0 of the default model is uart0: denied, then granted again.
        await _c.Base.SetDevicePermissionsAsync(2, 0, allow: false);
        Assert.Equal(ScmiStatus.DENIED, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.Clock.GetRateAsync(4))).StatusCode);
        await _c.Base.SetDevicePermissionsAsync(2, 0, allow: true);
        Assert.Equal(24000000ul, await _guest.Clock.GetRateAsync(4));
    }

    [Fact]
    public async Task Power_and_system()
    {
        Assert.Equal(4, await _c.Power.GetDomainCountAsync());
        Assert.Equal("media", (await _c.Power.GetDomainAsync(1)).Name);
        await _c.Power.SetStateAsync(3, PowerClient.Off);
        Assert.Equal(PowerClient.Off, await _c.Power.GetStateAsync(3));
        await _c.Power.SetStateAsync(3, PowerClient.On);
        Assert.Equal(PowerClient.On, await _guest.Power.GetStateAsync(3));
        // The subscriptions take effect: the guest turning media (1) on reaches OSPM, naming the guest.
        await _c.Power.NotifyStateAsync(1, true);
        await _c.Power.NotifyStateChangeRequestedAsync(1, true);
        await _guest.Power.SetStateAsync(1, PowerClient.On);
        var requested = await NextNotificationAsync("POWER_STATE_CHANGE_REQUESTED");
        Assert.Equal((2ul, 1ul, 0ul), (requested.GetUInt64("agent_id"), requested.GetUInt64("domain_id"), requested.GetUInt64("state_type")));
        var changed = await NextNotificationAsync("POWER_STATE_CHANGED");
        Assert.Equal((2ul, 1ul, 0ul), (changed.GetUInt64("agent_id"), changed.GetUInt64("domain_id"), changed.GetUInt64("state_type")));
        Assert.Equal(3u, await _c.System.GetStateAsync());
        await _c.System.NotifyAsync(true);
        Assert.Equal(ScmiStatus.DENIED, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.System.SetStateAsync(0, true))).StatusCode);
        await _c.System.SetStateAsync(4, graceful: true);
        Assert.Equal(4u, await _c.System.GetStateAsync());
    }

    [Fact]
    public async Task Performance()
    {
        Assert.Equal(2, await _c.Perf.GetDomainCountAsync());
        var big = await _c.Perf.GetDomainAsync(1);
        Assert.Equal(("big", 2400000u, 2400u), (big.Name, big.SustainedFrequencyKhz, big.SustainedLevel));
        var levels = await _c.Perf.DescribeLevelsAsync(1).ToListAsync();
        Assert.Equal(new uint[] { 800, 1200, 1600, 2000, 2400, 2800 }, levels.Select(l => l.Level));
        await _c.Perf.SetLimitsAsync(1, 2400, 1200);
        Assert.Equal((2400u, 1200u), await _c.Perf.GetLimitsAsync(1));
        await _c.Perf.SetLevelAsync(1, 2000);
        Assert.Equal(2000u, await _guest.Perf.GetLevelAsync(1));
        await _c.Perf.NotifyLevelAsync(1, true);
        await _c.Perf.NotifyLimitsAsync(1, true);
        await _guest.Perf.SetLevelAsync(1, 2400); // the highest request wins: the level changes, caused by the guest
        var level = await NextNotificationAsync("PERFORMANCE_LEVEL_CHANGED");
        Assert.Equal((2ul, 1ul, 2400ul), (level.GetUInt64("agent_id"), level.GetUInt64("domain_id"), level.GetUInt64("performance_level")));
        await Assert.ThrowsAsync<ScmiStatusException>(() => _c.Perf.DescribeFastChannelAsync(1, 7));
        await _c.Perf.SetLimitsAsync(1, 2800, 800);
        var limits = await NextNotificationAsync("PERFORMANCE_LIMITS_CHANGED");
        Assert.Equal((1ul, 2800ul, 800ul), (limits.GetUInt64("agent_id"), limits.GetUInt64("range_max"), limits.GetUInt64("range_min")));
    }

    [Fact]
    public async Task Clocks()
    {
        Assert.Equal(8, await _c.Clock.GetClockCountAsync());
        var uart = await _c.Clock.GetClockAsync(4);
        Assert.Equal(("uart0", true, true), (uart.Name, uart.Enabled, uart.HasParents));
        Assert.Equal(new ulong[] { 24000000, 48000000 }, (await _c.Clock.DescribeRatesAsync(4)).Discrete);
        Assert.Equal((100000000ul, 2000000000ul, 1000000ul), (await _c.Clock.DescribeRatesAsync(1)).Range);
        await _c.Clock.SetRateAsync(4, 40000000, ClockRounding.Up);
        Assert.Equal(48000000ul, await _guest.Clock.GetRateAsync(4));
        await _c.Clock.SetEnabledAsync(5, true);
        Assert.True((await _c.Clock.GetConfigAsync(5)).Enabled);
        await _c.Clock.SetEnabledAsync(5, false);
        Assert.False((await _c.Clock.GetClockAsync(5)).Enabled);
        Assert.Equal(new uint[] { 0, 3 }, await _c.Clock.GetPossibleParentsAsync(4).ToListAsync());
        await _c.Clock.SetParentAsync(4, 3);
        Assert.Equal(3u, await _c.Clock.GetParentAsync(4));
        Assert.Equal((true, true, true), await _c.Clock.GetPermissionsAsync(4));
        await _c.Clock.NotifyRateAsync(4, true);
        await _c.Clock.NotifyRateChangeRequestedAsync(4, true);
        // Every clock takes an asynchronous set (the limit is protocol-wide); one without latency completes at once.
        Assert.Equal(24000000ul, await _c.Clock.SetRateAndWaitAsync(4, 24000000));
        Assert.Equal(24000000ul, await _guest.Clock.GetRateAsync(4));
        Assert.Equal(ScmiStatus.OUT_OF_RANGE, (await Assert.ThrowsAsync<ScmiStatusException>(() => _c.Clock.SetRateAndWaitAsync(4, 1_700_000_000))).StatusCode);
    }

    [Fact]
    public async Task Sensors()
    {
        var sensors = await _c.Sensor.DescribeAsync().ToListAsync();
        Assert.Equal(new[] { "cpu_temp", "gpu_temp", "vdd_cpu_volt", "vdd_cpu_curr", "soc_power", "soc_energy" }, sensors.Select(s => s.Name));
        Assert.Equal((byte)2, sensors[0].UnitType);
        Assert.Equal(900, (await _c.Sensor.ReadAsync(2)).Single().Value);
        Assert.InRange((await _c.Sensor.ReadAsync(0)).Single().Value, 40000, 50000);
        // Continuous updates of cpu_temp arrive, each a reading within the sine's swing (45 ± 5 °C).
        await _c.Sensor.NotifyContinuousUpdatesAsync(0, true);
        var update = await NextNotificationAsync("SENSOR_UPDATE");
        Assert.Equal((0ul, 0ul), (update.GetUInt64("agent_id"), update.GetUInt64("sensor_id")));
        Assert.InRange(update.GetRecords("readings").Single().GetInt64("value"), 40000, 50000);
        await _c.Sensor.NotifyContinuousUpdatesAsync(0, false);
        // soc_energy ramps up 2500 mJ/s: a trip point 1000 mJ above now is crossed upwards within a second.
        var energy = (await _c.Sensor.ReadAsync(5)).Single().Value;
        await _c.Sensor.ConfigureTripPointAsync(5, 0, 1, energy + 1000);
        await _c.Sensor.NotifyTripPointsAsync(5, true);
        var trip = await NextNotificationAsync("SENSOR_TRIP_POINT_EVENT");
        Assert.Equal((0ul, 5ul, 0ul, 1ul), (trip.GetUInt64("agent_id"), trip.GetUInt64("sensor_id"), trip.GetUInt64("trip_point_id"), trip.GetUInt64("direction")));
        Assert.Equal(new[] { (1u, 0) }, await _c.Sensor.ListUpdateIntervalsAsync(0).ToListAsync());
        await _c.Sensor.SetConfigAsync(1, enabled: true, intervalSeconds: 2);
        Assert.Equal((true, 2u, 0), await _c.Sensor.GetConfigAsync(1));
        Assert.Equal("soc_energy", await _c.Sensor.GetNameAsync(5));
        Assert.InRange((await _c.Sensor.ReadAndWaitAsync(3)).Single().Value, 200, 4000); // vdd_cpu_curr reads asynchronously
        // Every default sensor is scalar: the axis commands answer NOT_SUPPORTED.
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, (await Assert.ThrowsAsync<ScmiStatusException>(async () => await _c.Sensor.DescribeAxesAsync(0).ToListAsync())).StatusCode);
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, (await Assert.ThrowsAsync<ScmiStatusException>(async () => await _c.Sensor.GetAxisNamesAsync(0).ToListAsync())).StatusCode);
    }

    [Fact]
    public async Task Resets_and_voltages()
    {
        Assert.Equal(3, await _c.Reset.GetDomainCountAsync());
        Assert.Equal(("gpu", 50u), ((await _c.Reset.GetDomainAsync(2)).Name, (await _c.Reset.GetDomainAsync(2)).LatencyUs));
        await _c.Reset.ResetAsync(2);
        await _c.Reset.SetAssertedAsync(2, true);
        // Held by OSPM: the guest's reset of the same domain is refused until OSPM lets go.
        Assert.Equal(ScmiStatus.DENIED, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.Reset.ResetAsync(2))).StatusCode);
        await _c.Reset.SetAssertedAsync(2, false);
        await _c.Reset.NotifyAsync(2, true);
        await _guest.Reset.ResetAsync(2);
        var issued = await NextNotificationAsync("RESET_ISSUED");
        Assert.Equal((2ul, 2ul), (issued.GetUInt64("agent_id"), issued.GetUInt64("domain_id")));

        Assert.Equal(3, await _c.Voltage.GetDomainCountAsync());
        Assert.Equal("vdd_cpu", (await _c.Voltage.GetDomainAsync(0)).Name);
        Assert.Equal(new[] { 800000, 850000, 900000, 950000, 1000000 }, (await _c.Voltage.DescribeLevelsAsync(0)).Levels);
        Assert.Equal((600000, 1100000, 12500), (await _c.Voltage.DescribeLevelsAsync(1)).Range);
        await _c.Voltage.SetLevelAsync(1, 700000);
        Assert.Equal(700000, await _guest.Voltage.GetLevelAsync(1));
        await _c.Voltage.SetConfigAsync(1, 0);
        Assert.Equal(0u, await _c.Voltage.GetConfigAsync(1));
        await _c.Voltage.SetConfigAsync(1, 7);
        Assert.Equal(7u, await _c.Voltage.GetConfigAsync(1));
    }

    [Fact]
    public async Task Pin_control()
    {
        Assert.Equal((8, 3, 4), await _c.Pinctrl.GetCountsAsync());
        var spi = await _c.Pinctrl.GetAttributesAsync(2, PinctrlSelector.Group);
        Assert.Equal(("spi0_grp", 3), (spi.Name, spi.Elements));
        Assert.True((await _c.Pinctrl.GetAttributesAsync(3, PinctrlSelector.Function)).GpioFunction);
        Assert.Equal(new uint[] { 4, 5, 6 }, await _c.Pinctrl.ListAssociationsAsync(2, PinctrlSelector.Group).ToListAsync());
        await _c.Pinctrl.ConfigureAsync(2, PinctrlSelector.Group, function: 2, [(4, 1), (10, 8)]);
        var (function, configs) = await _c.Pinctrl.GetSettingsAsync(2, PinctrlSelector.Group);
        Assert.Equal(2u, function);
        Assert.Equal(new (byte, uint)[] { (4, 1), (10, 8) }, configs);
        await _c.Pinctrl.RequestAsync(0, PinctrlSelector.Pin);
        Assert.Equal(ScmiStatus.IN_USE, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.Pinctrl.RequestAsync(0, PinctrlSelector.Pin))).StatusCode);
        await _c.Pinctrl.ReleaseAsync(0, PinctrlSelector.Pin);
        await _guest.Pinctrl.RequestAsync(0, PinctrlSelector.Pin);
        await _c.Pinctrl.SetPermissionsAsync(2, 1, PinctrlSelector.Pin, allow: false);
        Assert.Equal(ScmiStatus.DENIED, (await Assert.ThrowsAsync<ScmiStatusException>(() => _guest.Pinctrl.RequestAsync(1, PinctrlSelector.Pin))).StatusCode);
    }

    [Fact]
    public async Task Power_capping()
    {
        var domain = await _c.Powercap.GetDomainAsync(0);
        Assert.Equal(("big_cluster", true, 2, (uint?)null), (domain.Name, domain.CapConfigurable, domain.PowerUnit, domain.ParentId));
        Assert.Equal(2000u, await _c.Powercap.GetCapAsync(0));
        await _c.Powercap.SetPaiAsync(0, 50000);
        Assert.Equal(50000u, await _c.Powercap.GetPaiAsync(0));
        await _c.Powercap.NotifyCapAsync(0, true);
        await _c.Powercap.NotifyMeasurementsAsync(0, true, 500, 1500);
        await Assert.ThrowsAsync<ScmiStatusException>(() => _c.Powercap.DescribeFastChannelAsync(0, 5));
        await _guest.Powercap.SetCapAsync(0, 700);
        Assert.Equal((1600u, 800u), await _c.Perf.GetLimitsAsync(1)); // 640 mW at 1600 fits 700 mW; 930 mW at 2000 does not
        await _guest.Powercap.SetCapAsync(0, 0);
        Assert.Equal((2800u, 800u), await _c.Perf.GetLimitsAsync(1)); // capping disabled: the ceiling is lifted
        await _guest.Powercap.SetCapAsync(0, 0);
    }

    [Fact]
    public async Task Many_requests_in_flight_from_many_tasks()
    {
        var calls = Enumerable.Range(0, 300).Select(i => _c.Clock.GetRateAsync((uint)(i % 8))).ToList();
        var rates = await Task.WhenAll(calls);
        // Each reply must land on its own request: the model fixes every clock's rate, so a
        // swapped token would show as a wrong rate at that index.
        ulong[] byClock = [24000000, 1200000000, 1600000000, 200000000, 24000000, 10000000, 500000000, 148500000];
        Assert.Equal(Enumerable.Range(0, 300).Select(i => byClock[i % 8]), rates);
        Assert.Equal(0, _c.TokensInUse);
    }

    [Fact]
    public async Task A_change_by_one_agent_is_notified_to_another_that_subscribed()
    {
        await _c.Clock.NotifyRateAsync(7, true);
        await _c.Perf.NotifyLevelAsync(0, true);
        await _guest.Clock.SetRateAsync(7, 297000000);
        await _guest.Perf.SetLevelAsync(0, 1500);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<string>();
        await foreach (var n in _c.ReadNotificationsAsync(timeout.Token))
        {
            received.Add(Vscmi.Protocol.Schema.ScmiFormatter.Format(n));
            if (received.Count == 2)
                break;
        }

        Assert.Equal(
        [
            "CLOCK 0x14 CLOCK_RATE_CHANGED notification agent_id=2 clock_id=7 rate=297000000",
            "PERF 0x13 PERFORMANCE_LEVEL_CHANGED notification agent_id=2 domain_id=0 performance_level=1500",
        ], received);

        await _c.Clock.NotifyRateAsync(7, false);
        await _guest.Clock.SetRateAsync(7, 74250000);
        await _guest.Perf.SetLevelAsync(0, 1800); // still subscribed to this one: it is the next to arrive
        await foreach (var n in _c.ReadNotificationsAsync(timeout.Token))
        {
            Assert.Equal("PERFORMANCE_LEVEL_CHANGED", n.Name);
            break;
        }
    }

    [Fact]
    public async Task Asynchronous_rate_set_completes_through_the_delayed_response()
    {
        Assert.Equal(1500000000ul, await _c.Clock.SetRateAndWaitAsync(2, 1500000000));
        Assert.Equal(1500000000ul, await _guest.Clock.GetRateAsync(2));
        Assert.Equal(0, _c.TokensInUse);
        var sets = Enumerable.Range(0, 8).Select(i => _c.Clock.SetRateAndWaitAsync(2, 1000000000 + ((ulong)i * 1000000))).ToList();
        // Each delayed response carries its own request's rate, in order: none swapped, none lost.
        Assert.Equal(Enumerable.Range(0, 8).Select(i => 1000000000 + ((ulong)i * 1000000)), await Task.WhenAll(sets));
    }
}
