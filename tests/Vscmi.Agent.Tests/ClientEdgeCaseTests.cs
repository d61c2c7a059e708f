using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Agent.Tests;

public class ClientEdgeCaseTests
{
    private static FieldSet Clock(uint id) => new FieldSet().Set("clock_id", (ulong)id);

    [Fact]
    public async Task Out_of_order_replies_reach_their_own_requests()
    {
        await using var fake = new FakePlatform();
        var first = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(1));
        var second = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(2));
        var r1 = await fake.ReceiveAsync();
        var r2 = await fake.ReceiveAsync();
        Assert.NotEqual(FakePlatform.Token(r1), FakePlatform.Token(r2));

        await fake.SendAsync(FakePlatform.Header(r2), 0, 222, 0);
        await fake.SendAsync(FakePlatform.Header(r1), 0, 111, 0);

        Assert.Equal(111ul, (await first).EnsureSuccess().GetUInt64("rate"));
        Assert.Equal(222ul, (await second).EnsureSuccess().GetUInt64("rate"));
        Assert.Equal(0, fake.Client.TokensInUse);
    }

    [Theory]
    [InlineData(300, null, 300)]   // the transport's own timeout when the client names none
    [InlineData(60000, 250, 250)]  // the client's, when it names one
    public async Task A_request_times_out_after_the_transports_reply_timeout_unless_the_client_overrides_it(int transportMs, int? clientMs, int expectedMs)
    {
        await using var fake = new FakePlatform(
            new ScmiClientOptions { Timeout = clientMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null },
            TimeSpan.FromMilliseconds(transportMs));
        var call = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(1));
        await fake.ReceiveAsync(); // and never answer
        var e = await Assert.ThrowsAsync<ScmiTimeoutException>(() => call);
        Assert.Equal($"CLOCK_RATE_GET (token 0): no response within {expectedMs} ms", e.Message);
    }

    [Fact]
    public async Task A_late_reply_after_a_timeout_is_never_matched_to_a_new_request()
    {
        // One timeout for both requests: the second must be answered within it, so not too short
        // (200 ms once ran out for it in a full ./test on 2 busy cores).
        await using var fake = new FakePlatform(new ScmiClientOptions { Timeout = TimeSpan.FromSeconds(2) });
        var late = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(1));
        var lateRequest = await fake.ReceiveAsync();
        await Assert.ThrowsAsync<ScmiTimeoutException>(() => late);
        Assert.Equal(1, fake.Client.TokensInUse); // still reserved for the late reply

        var next = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(2));
        var nextRequest = await fake.ReceiveAsync();
        Assert.NotEqual(FakePlatform.Token(lateRequest), FakePlatform.Token(nextRequest));

        await fake.SendAsync(FakePlatform.Header(lateRequest), 0, 111, 0); // the late reply: dropped, token freed
        await fake.SendAsync(FakePlatform.Header(nextRequest), 0, 222, 0);
        Assert.Equal(222ul, (await next).EnsureSuccess().GetUInt64("rate"));
        Assert.Equal(0, fake.Client.TokensInUse);
    }

    [Fact]
    public async Task Cancellation_is_an_operation_canceled_not_a_timeout()
    {
        await using var fake = new FakePlatform();
        using var cts = new CancellationTokenSource();
        var call = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(1), cancellationToken: cts.Token);
        await fake.ReceiveAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Notifications_between_a_command_and_its_response_are_delivered_separately()
    {
        await using var fake = new FakePlatform();
        var call = fake.Client.RequestAsync(ScmiProtocolId.CLOCK, 0x6, Clock(3));
        var request = await fake.ReceiveAsync();
        await fake.SendAsync(0x00005300, 1, 3, 1000, 0);                         // CLOCK_RATE_CHANGED
        await fake.SendAsync(0x00045300, 2, 3, 2000, 0);                         // another; a notification's token means nothing
        await fake.SendAsync(0x00005306, 2, 3, 2000, 0);                         // no notification 6: dropped
        await fake.SendAsync(FakePlatform.Header(request), 0, 5, 0);

        Assert.Equal(5ul, (await call).EnsureSuccess().GetUInt64("rate"));
        var received = new List<ScmiMessage>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var n in fake.Client.ReadNotificationsAsync(timeout.Token))
        {
            received.Add(n);
            if (received.Count == 2)
                break;
        }

        Assert.Equal(new ulong[] { 1000, 2000 }, received.Select(n => n.Fields.GetUInt64("rate")));
        Assert.All(received, n => Assert.Equal("CLOCK_RATE_CHANGED", n.Name));
    }

    [Fact]
    public async Task A_delayed_response_completes_an_asynchronous_rate_set()
    {
        await using var fake = new FakePlatform();
        var set = fake.Client.Clock.SetRateAndWaitAsync(3, 48000000, ClockRounding.Up);
        var request = await fake.ReceiveAsync();
        var header = FakePlatform.Header(request);
        await fake.SendAsync(header, 0);                                     // immediate SUCCESS
        Assert.Equal(1, fake.Client.TokensInUse);                            // kept for the delayed response
        await fake.SendAsync(header | 0x200, 0, 3, 48000000, 0);             // type 2, same token
        Assert.Equal(48000000ul, await set);
        Assert.Equal(0, fake.Client.TokensInUse);
    }

    [Fact]
    public async Task A_missing_delayed_response_times_out()
    {
        await using var fake = new FakePlatform(new ScmiClientOptions { DelayedResponseTimeout = TimeSpan.FromMilliseconds(200) });
        var set = fake.Client.Clock.SetRateAndWaitAsync(3, 48000000);
        var request = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(request), 0);
        await Assert.ThrowsAsync<ScmiTimeoutException>(() => set);
    }

    [Fact]
    public async Task Error_statuses_are_named()
    {
        await using var fake = new FakePlatform();
        var call = fake.Client.Clock.GetRateAsync(9);
        var request = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(request), unchecked((uint)-4));
        var e = await Assert.ThrowsAsync<ScmiStatusException>(() => call);
        Assert.Equal(ScmiStatus.NOT_FOUND, e.StatusCode);
        Assert.Equal("CLOCK_RATE_GET: NOT_FOUND", e.Message);
    }

    [Fact]
    public async Task A_malformed_reply_fails_only_its_request()
    {
        await using var fake = new FakePlatform();
        var call = fake.Client.Clock.GetRateAsync(1);
        var request = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(request), 0, 1); // rate needs two words
        await Assert.ThrowsAsync<ScmiClientException>(() => call);
        await fake.SendAsync(0x0FFC5006, 0, 1, 0);                 // an unexpected token: dropped
        var next = fake.Client.Clock.GetRateAsync(1);
        var nextRequest = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(nextRequest), 0, 7, 0);
        Assert.Equal(7ul, await next);
    }

    [Fact]
    public async Task A_disconnect_fails_every_pending_request()
    {
        var fake = new FakePlatform();
        var a = fake.Client.Clock.GetRateAsync(1);
        var b = fake.Client.Perf.GetLevelAsync(0);
        await fake.ReceiveAsync();
        await fake.ReceiveAsync();
        await fake.CloseAsync();
        await Assert.ThrowsAsync<ScmiDisconnectedException>(() => a);
        await Assert.ThrowsAsync<ScmiDisconnectedException>(() => b);
        await Assert.ThrowsAsync<ScmiDisconnectedException>(() => fake.Client.Clock.GetRateAsync(1));
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task A_platform_without_a_protocol_answers_not_supported_and_discovery_adapts()
    {
        await using var fake = new FakePlatform();
        var version = fake.Client.Pinctrl.GetVersionAsync();
        var request = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(request), unchecked((uint)-1));
        Assert.Equal(ScmiStatus.NOT_SUPPORTED, (await Assert.ThrowsAsync<ScmiStatusException>(() => version)).StatusCode);

        var probe = fake.Client.Clock.GetMessageAttributesAsync((byte)ClockMessageId.CLOCK_PARENT_SET);
        var probeRequest = await fake.ReceiveAsync();
        await fake.SendAsync(FakePlatform.Header(probeRequest), unchecked((uint)-4));
        Assert.Null(await probe);
    }
}

/// <summary>The agent speaks the version each protocol's platform reports (SCMI 2.0 firmware gets 2.0 messages).</summary>
public class ClientVersionTests
{
    [Fact]
    public async Task The_client_asks_the_version_once_then_encodes_and_decodes_with_that_versions_layouts()
    {
        await using var fake = FakePlatform.LearningVersions();
        var attributes = fake.Client.Clock.GetClockAsync(1);
        var versionRequest = await fake.ReceiveAsync();
        Assert.Equal(0, ScmiHeader.FromValueUnchecked(FakePlatform.Header(versionRequest)).MessageId);
        await fake.SendAsync(FakePlatform.Header(versionRequest), 0, 0x10000); // Clock v1.0 (SCMI 2.0)
        var attributesRequest = await fake.ReceiveAsync();
        Assert.Equal(3, ScmiHeader.FromValueUnchecked(FakePlatform.Header(attributesRequest)).MessageId);
        // v1.0 CLOCK_ATTRIBUTES: attributes and a 16-byte name, no enable delay (a 3.2 decoder calls it short).
        await fake.SendAsync(FakePlatform.Header(attributesRequest), 0, 1, 0x5F6C6C70, 0x7474696C, 0x0000656C, 0);
        var clock = await attributes;
        Assert.Equal(("pll_little", true), (clock.Name, clock.Enabled));
        Assert.Equal(0x10000u, fake.Client.PlatformVersion(ScmiProtocolId.CLOCK));

        // CLOCK_CONFIG_SET goes out in its two-word v1.0 form; no second version request.
        var enable = fake.Client.Clock.SetEnabledAsync(5, true);
        var configRequest = await fake.ReceiveAsync();
        Assert.Equal(4 + 8, configRequest.Length);
        await fake.SendAsync(FakePlatform.Header(configRequest), 0);
        await enable;
    }
}
