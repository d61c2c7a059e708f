using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Vscmi.Integration.Tests;

/// <summary>
/// The dashboard (docs/dashboard.md) in a real browser: Debian's chromium driven by Playwright.
/// The page shows the default model, follows a change a client makes within seconds (the rate,
/// who changed it, the message in the log), and changes nothing itself unless the daemon gives
/// it an agent identity, whose permissions then apply.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static Uri DashboardUrl(ServeProcess serve)
    {
        var match = Regex.Match(serve.Output, @"dashboard: (http://\S+) ");
        Assert.True(match.Success, $"no 'dashboard:' line in\n{serve.Output}");
        return new Uri(match.Groups[1].Value);
    }

    [Fact]
    public async Task The_page_shows_the_model_and_follows_a_clock_change_made_by_a_client()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--dashboard", "127.0.0.1:0");
        var url = DashboardUrl(serve);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"], // CI runs as root
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1800 } });
        await page.GotoAsync(url.ToString());

        // The default model: eight clocks, two performance domains, the agents.
        var clocks = page.Locator("#clocks tbody tr");
        await Assertions.Expect(clocks).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("#clocks")).ToContainTextAsync("osc24m");
        await Assertions.Expect(page.Locator("#agents")).ToContainTextAsync("sandbox");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#acting")).ToHaveTextAsync("read-only");

        using (var ospm = serve.Connect(serve.PathOf("ospm.sock")))
        {
            Assert.Equal(0u, ospm.Call(0x00005005, 0, 6, 400_000_000, 0)[1]); // CLOCK_RATE_SET gpu_core 400 MHz
            var row = page.Locator("#clocks tbody tr[data-id='6']");
            await Assertions.Expect(row.Locator("td.rate")).ToHaveTextAsync("400000000");
            await Assertions.Expect(row).ToContainTextAsync("OSPM (CLOCK_RATE_SET");
            await Assertions.Expect(page.Locator("#agents tbody tr").First).ToContainTextAsync("connected");
            await Assertions.Expect(page.Locator("#messages")).ToContainTextAsync("CLOCK_RATE_SET command");
            await Assertions.Expect(page.Locator("#messages")).ToContainTextAsync("status=SUCCESS");

            // The log filter: only BASE messages, none of which were sent.
            await page.Locator("#filter-protocol").SelectOptionAsync("CLOCK");
            await Assertions.Expect(page.Locator("#messages li:visible").First).ToContainTextAsync("CLOCK");
        }

        await Assertions.Expect(page.Locator("#sensors .sensor")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("#sensors .sensor .value").First).Not.ToHaveTextAsync("–");
        var shot = Path.Combine(CliProcess.RepositoryRoot, "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is (nearly) empty");
    }

    [Fact]
    public async Task A_flood_of_messages_is_shown_in_part_and_counted_while_the_agent_is_served_in_full()
    {
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--dashboard", "127.0.0.1:0");
        var url = DashboardUrl(serve);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(1) };
        using var events = await http.GetAsync(new Uri(url, "api/events"), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await events.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var messageFrames = 0;
        var reading = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line == "event: message")
                    Interlocked.Increment(ref messageFrames);
            }
        });
        await Poll.Until(() => serve.Output.Length > 0 && http.GetStringAsync(new Uri(url, "api/snapshot")).GetAwaiter().GetResult().Contains("\"trace_subscribers\":1", StringComparison.Ordinal),
            "the page's trace subscription");

        using (var ospm = serve.Connect(serve.PathOf("ospm.sock")))
        {
            for (var i = 0; i < 3000; i++)
                Assert.Equal(0u, ospm.Call(0x00005006, 3)[1]); // every command answered, whatever the page does
        }

        string snapshot = "";
        await Poll.Until(() =>
        {
            snapshot = http.GetStringAsync(new Uri(url, "api/snapshot")).GetAwaiter().GetResult();
            return Regex.Match(snapshot, "\"messages\":(\\d+)").Groups[1].Value == "3000";
        }, "3000 messages counted for OSPM");
        var notShown = long.Parse(Regex.Match(snapshot, "\"messages_not_shown\":(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var dropped = long.Parse(Regex.Match(snapshot, "\"messages_dropped\":(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(notShown + dropped > 0, $"6000 traced messages, none skipped: {snapshot[..200]}");
        await Poll.Until(() => Volatile.Read(ref messageFrames) > 0, "message frames on the event stream");
        Assert.True(Volatile.Read(ref messageFrames) + notShown + dropped <= 6000);
    }

    [Fact]
    public async Task The_dashboard_changes_nothing_without_an_agent_and_only_what_its_agent_may_with_one()
    {
        using var http = new HttpClient();
        await using (var readOnly = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--dashboard", "127.0.0.1:0"))
        {
            var refused = await http.PostAsync(new Uri(DashboardUrl(readOnly), "api/clock/6/rate?hz=400000000"), null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("--dashboard-agent", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("\"rate\":500000000", await http.GetStringAsync(new Uri(DashboardUrl(readOnly), "api/snapshot")), StringComparison.Ordinal);
        }

        // As the guest: its performance change is an SCMI command of the guest, checked like one.
        await using var serve = await ServeProcess.StartAsync("--socket", "OSPM={dir}/ospm.sock", "--dashboard", "127.0.0.1:0", "--dashboard-agent", "guest");
        var url = DashboardUrl(serve);
        Assert.Contains("acting as guest", serve.Output, StringComparison.Ordinal);
        var set = await http.PostAsync(new Uri(url, "api/perf/1/level?level=1600"), null);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("SUCCESS", (await set.Content.ReadAsStringAsync()).Trim());
        var snapshot = await http.GetStringAsync(new Uri(url, "api/snapshot"));
        Assert.Contains("\"acting_as\":\"guest\"", snapshot, StringComparison.Ordinal);
        Assert.Matches("\"changed\":\\{\"agent\":\"guest\",\"message\":\"PERFORMANCE_LEVEL_SET\"", snapshot);

        var outOfRange = await http.PostAsync(new Uri(url, "api/perf/1/level?level=12345"), null);
        Assert.Equal(HttpStatusCode.Conflict, outOfRange.StatusCode);
        Assert.Equal("OUT_OF_RANGE", (await outOfRange.Content.ReadAsStringAsync()).Trim());
        var bad = await http.PostAsync(new Uri(url, "api/clock/1/rate?hz=fast"), null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("hz=fast", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unseen = await http.PostAsync(new Uri(url, "api/clock/99/rate?hz=1"), null);
        Assert.Equal(HttpStatusCode.Forbidden, unseen.StatusCode);
    }
}
