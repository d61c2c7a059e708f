namespace Vscmi.Integration.Tests;

/// <summary>
/// Every notification type and every asynchronous command, over the stream socket to a separate
/// <c>./vscmi serve</c> process (its own, so earlier tests leave no state): subscribe, trigger from
/// another agent, receive the exact payload; unsubscribe, trigger, receive nothing.
/// </summary>
public sealed class PlatformMessageTests : IAsyncLifetime
{
    // One daemon per test: the tests change the platform's state, and none may see another's.
    private readonly ServeProcess _serve = new();

    public Task InitializeAsync() => _serve.InitializeAsync();

    public Task DisposeAsync() => _serve.DisposeAsync();

    private const uint Success = 0;

    /// <summary>Nothing arrives before the reply to a fresh command: no notification is pending.</summary>
    private static void AssertNothingPending(RawClient c)
    {
        Assert.Equal(new uint[] { 0x0FFC4000, Success, 0x20001 }, c.Call(0x0FFC4000));
        Assert.Equal(0, c.EarlyFrames);
    }

    [Fact]
    public void Each_notification_type_reaches_a_subscriber_and_stops_after_unsubscribing()
    {
        using var ospm = _serve.Connect(_serve.OspmSocket);
        using var guest = _serve.Connect(_serve.GuestSocket);

        // (subscribe on OSPM, trigger from the guest, expected notification, unsubscribe, trigger again)
        var cases = new (uint[] Subscribe, uint[] Trigger, uint[] Expected, uint[] Unsubscribe, uint[] Again)[]
        {
            ([0x00044406, 2, 1], [0x00044404, 0, 2, 0], [0x00004700, 2, 2, 0], [0x00044406, 2, 0], [0x00044404, 0, 2, 0x40000000]),                 // POWER_STATE_CHANGED
            ([0x00044407, 2, 1], [0x00044404, 0, 2, 0], [0x00004701, 2, 2, 0], [0x00044407, 2, 0], [0x00044404, 0, 2, 0x40000000]),                 // POWER_STATE_CHANGE_REQUESTED
            ([0x00044C0A, 0, 1], [0x00044C07, 0, 800], [0x00004F01, 2, 0, 800], [0x00044C0A, 0, 0], [0x00044C07, 0, 1500]),                        // PERFORMANCE_LEVEL_CHANGED
            ([0x00044C09, 0, 1], [0x00044C05, 0, 1500, 500], [0x00004F00, 2, 0, 1500, 500], [0x00044C09, 0, 0], [0x00044C05, 0, 1800, 500]),        // PERFORMANCE_LIMITS_CHANGED
            ([0x00045009, 7, 1], [0x00045005, 0, 7, 74250000, 0], [0x00005300, 2, 7, 74250000, 0], [0x00045009, 7, 0], [0x00045005, 0, 7, 297000000, 0]), // CLOCK_RATE_CHANGED
            ([0x0004500A, 7, 1], [0x00045005, 0, 7, 74250000, 0], [0x00005301, 2, 7, 74250000, 0], [0x0004500A, 7, 0], [0x00045005, 0, 7, 148500000, 0]), // CLOCK_RATE_CHANGE_REQUESTED
            ([0x00045805, 1, 1], [0x00045804, 1, 1, 0], [0x00005B00, 2, 1, 0], [0x00045805, 1, 0], [0x00045804, 1, 1, 0]),                         // RESET_ISSUED
            ([0x0004600B, 0, 1, 100, 500], [0x00044C07, 1, 2400], [0x00006301, 2, 0, 1300], [0x0004600B, 0, 0, 100, 500], [0x00044C07, 1, 2800]),  // POWERCAP_MEASUREMENTS_CHANGED
            ([0x0004600A, 0, 1], [0x00046005, 0, 0, 1000], [0x00006300, 2, 0, 1000, 100000], [0x0004600A, 0, 0], [0x00046005, 0, 0, 0]),            // POWERCAP_CAP_CHANGED
        };
        foreach (var (subscribe, trigger, expected, unsubscribe, again) in cases)
        {
            Assert.Equal(new uint[] { subscribe[0], Success }, ospm.Call(subscribe));
            Assert.Equal(new uint[] { trigger[0], Success }, guest.Call(trigger));
            Assert.Equal(RawClient.Words(expected), ospm.ReceiveFrame());
            Assert.Equal(new uint[] { unsubscribe[0], Success }, ospm.Call(unsubscribe));
            Assert.Equal(new uint[] { again[0], Success }, guest.Call(again));
            AssertNothingPending(ospm);
        }

        // BASE_ERROR_EVENT: the guest sends a malformed CLOCK_RATE_GET (no clock id); OSPM hears which agent,
        // with one report = (header << 32) | status (PROTOCOL_ERROR).
        Assert.Equal(new uint[] { 0x00044008, Success }, ospm.Call(0x00044008, 1));
        Assert.Equal(new uint[] { 0x00085006, 0xFFFFFFF6 }, guest.Call(0x00085006));
        Assert.Equal(RawClient.Words(0x00004300, 2, 1, 0xFFFFFFF6, 0x00085006), ospm.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00044008, Success }, ospm.Call(0x00044008, 0));
        Assert.Equal(new uint[] { 0x00085006, 0xFFFFFFF6 }, guest.Call(0x00085006));
        AssertNothingPending(ospm);

        // SYSTEM_POWER_STATE_NOTIFIER goes the other way: the trusted OSPM asks, the guest hears.
        Assert.Equal(new uint[] { 0x00044805, Success }, guest.Call(0x00044805, 1));
        Assert.Equal(new uint[] { 0x00044803, Success }, ospm.Call(0x00044803, 1, 2));
        Assert.Equal(RawClient.Words(0x00004B00, 1, 1, 2, 0), guest.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00044805, Success }, guest.Call(0x00044805, 0));
        Assert.Equal(new uint[] { 0x00044803, Success }, ospm.Call(0x00044803, 1, 1));
        AssertNothingPending(guest);
    }

    [Fact]
    public void Sensor_events_come_from_the_running_sampler()
    {
        using var ospm = _serve.Connect(_serve.OspmSocket);
        // SENSOR_UPDATE for the constant 900 mV sensor: agent 0 (the platform), sensor 2, value 900, then a timestamp.
        Assert.Equal(new uint[] { 0x0004540B, Success }, ospm.Call(0x0004540B, 2, 1));
        var update = ospm.ReceiveFrame()!;
        Assert.Equal(RawClient.Words(0x00005701, 0, 2, 900, 0), update[..20]);
        Assert.Equal(new uint[] { 0x0004540B, Success }, ospm.Call(0x0004540B, 2, 0));
        // Drain any update sent before the unsubscribe took effect, then nothing more.
        while (true)
        {
            var next = ospm.Call(0x0FFC4000);
            if (next[0] == 0x0FFC4000)
                break;
        }

        // A trip point just above the rising energy counter (2500 mJ/s): crossed upwards within a sample or two.
        var reading = ospm.Call(0x00045406, 5, 0);
        Assert.Equal(Success, reading[1]);
        Assert.Equal(new uint[] { 0x00045404, Success }, ospm.Call(0x00045404, 5, 1));
        Assert.Equal(new uint[] { 0x00045405, Success }, ospm.Call(0x00045405, 5, 0x01, reading[2] + 500, 0));
        Assert.Equal(RawClient.Words(0x00005700, 0, 5, 0x00010000), ospm.ReceiveFrame()); // trip point 0, upwards
    }

    [Fact]
    public void Each_asynchronous_command_answers_now_and_delivers_its_delayed_response()
    {
        using var c = _serve.Connect(_serve.OspmSocket);
        // (command with token 9, the delayed response it must produce)
        var cases = new (uint[] Command, uint[] Delayed)[]
        {
            ([0x00245005, 0x1, 2, 1000000000, 0], [0x00245205, Success, 2, 1000000000, 0]),   // CLOCK_RATE_SET pll_big
            ([0x00245804, 0, 0x5, 0], [0x00245A04, Success, 0]),                               // RESET eth
            ([0x00245C07, 1, 1, 950000], [0x00245E07, Success, 1, 950000]),                    // VOLTAGE_LEVEL_SET vdd_gpu
            ([0x00246005, 0, 0x2, 2000], [0x00246205, Success, 0, 2000]),                      // POWERCAP_CAP_SET (2000 mW: every OPP fits)
        };
        foreach (var (command, delayed) in cases)
        {
            Assert.Equal(new uint[] { command[0], Success }, c.Call(command));
            Assert.Equal(RawClient.Words(delayed), c.ReceiveFrame());
        }

        // SENSOR_READING_GET of the asynchronous current sensor: sensor 3, a value in its walk's bounds.
        Assert.Equal(new uint[] { 0x00245406, Success }, c.Call(0x00245406, 3, 1));
        var reading = c.ReceiveFrame()!;
        Assert.Equal(RawClient.Words(0x00245606, Success, 3), reading[..12]);
        Assert.InRange(BitConverter.ToInt64(reading, 12), 200, 4000);

        // POWER_STATE_SET asynchronously (gpu has an async latency): SUCCESS now, applied later, no delayed response.
        Assert.Equal(new uint[] { 0x00244404, Success }, c.Call(0x00244404, 1, 0, 0x40000000));
        for (var i = 0; i < 100 && c.Call(0x00044405, 0)[2] != 0x40000000; i++)
            Thread.Sleep(10);
        Assert.Equal(new uint[] { 0x00044405, Success, 0x40000000 }, c.Call(0x00044405, 0));
        AssertNothingPending(c);

        // The clock's "ignore delayed response" flag: applied, and nothing follows.
        Assert.Equal(new uint[] { 0x00245005, Success }, c.Call(0x00245005, 0x3, 2, 900000000, 0));
        // "Nothing arrives" is checked over the whole window (well past the clock's 2 ms latency), not once.
        for (var i = 0; i < 20; i++)
        {
            AssertNothingPending(c);
            Thread.Sleep(10);
        }

        Assert.Equal(new uint[] { 0x00045006, Success, 900000000, 0 }, c.Call(0x00045006, 2));
    }
}

/// <summary>Two agents on two sockets of their own <c>serve</c> process: arbitration, seen and notified.</summary>
public sealed class ArbitrationProcessTests : IAsyncLifetime
{
    // One daemon per test: the tests change the platform's state, and none may see another's.
    private readonly ServeProcess _serve = new();

    public Task InitializeAsync() => _serve.InitializeAsync();

    public Task DisposeAsync() => _serve.DisposeAsync();

    private const uint Success = 0;

    [Fact]
    public void Two_agents_on_two_sockets_are_arbitrated_and_notified()
    {
        using var ospm = _serve.Connect(_serve.OspmSocket);
        using var guest = _serve.Connect(_serve.GuestSocket);
        Assert.Equal(new uint[] { 0x00044C0A, Success }, ospm.Call(0x00044C0A, 1, 1));          // OSPM watches big's level
        Assert.Equal(new uint[] { 0x00044C07, Success }, ospm.Call(0x00044C07, 1, 2000));
        Assert.Equal(RawClient.Words(0x00004F01, 1, 1, 2000), ospm.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00044C07, Success }, guest.Call(0x00044C07, 1, 1200));      // lower than OSPM's: nothing changes
        Assert.Equal(new uint[] { 0x00044C08, Success, 2000 }, guest.Call(0x00044C08, 1));
        Assert.Equal(new uint[] { 0x00044C07, Success }, ospm.Call(0x00044C07, 1, 800));        // OSPM lets go: the guest's 1200 wins
        Assert.Equal(RawClient.Words(0x00004F01, 1, 1, 1200), ospm.ReceiveFrame());
        Assert.Equal(new uint[] { 0x00044C08, Success, 1200 }, ospm.Call(0x00044C08, 1));

        // A clock stays enabled while the other agent still wants it; each reads back its own vote.
        Assert.Equal(new uint[] { 0x00045007, Success }, ospm.Call(0x00045007, 0, 0, 0));      // OSPM disables osc24m
        Assert.Equal(new uint[] { 0x0004500B, Success, 0, 0, 0 }, ospm.Call(0x0004500B, 0, 0));
        Assert.Equal(new uint[] { 0x0004500B, Success, 0, 1, 0 }, guest.Call(0x0004500B, 0, 0));
        Assert.Equal(new uint[] { 0x00045007, Success }, ospm.Call(0x00045007, 0, 1, 0));
    }
}
