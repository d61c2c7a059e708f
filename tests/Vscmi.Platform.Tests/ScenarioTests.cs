using System.Buffers.Binary;
using System.Xml.Linq;
using Vscmi.Platform.Model;
using Vscmi.Platform.Scenarios;
using Vscmi.Protocol.Protocols;

namespace Vscmi.Platform.Tests;

/// <summary>
/// Scenario files (docs/scenarios.md): the loader's refusals with file:line, the judge's verdict for
/// each kind of expectation from hand-made observations, known agent defects, and the JUnit XML.
/// The committed library (scenarios/) must load.
/// </summary>
public sealed class ScenarioTests
{
    private const string Minimal = """
        agent = "guest"
        duration = "5s"
        [[step]]
        at = "0s"
        name = "busy"
        inject = "status"
        status = "BUSY"
        message = "CLOCK_RATE_SET"
        count = 2
        [[expect]]
        kind = "retries"
        message = "CLOCK_RATE_SET"
        within = "1s"
        """;

    [Fact]
    public void A_scenario_loads_with_the_agent_and_seed_given_to_its_steps()
    {
        var scenario = ScenarioLoader.Load(Minimal + "\nseed = 9\n".Replace("seed = 9", "", StringComparison.Ordinal), "busy.toml");
        Assert.Equal("busy", scenario.Name);
        Assert.Equal(TimeSpan.FromSeconds(5), scenario.Duration);
        var step = Assert.Single(scenario.Steps);
        Assert.Equal((StepAction.Inject, "status"), (step.Action, step.Kind));
        Assert.Contains(new KeyValuePair<string, object>("agent", "guest"), step.Parameters);
        Assert.Contains(new KeyValuePair<string, object>("count", 2L), step.Parameters);
        Assert.Contains(step.Parameters, p => p.Key == "seed");
        var expect = Assert.Single(scenario.Expectations);
        Assert.Equal((ExpectationKind.Retries, ScmiStatus.BUSY, (byte)0x14, (byte)ClockMessageId.CLOCK_RATE_SET), (expect.Kind, expect.Status, expect.Protocol, expect.Message));
        Assert.Equal("guest", expect.Agent);
    }

    [Theory]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"stays_connected\"\nwobble = 1", "s.toml:4:1: unknown key 'wobble'")]
    [InlineData("[[expect]]\nkind = \"stays_connected\"", "needs 'duration'")]
    [InlineData("duration = \"5 parsecs\"", "duration \"5 parsecs\": a duration such as")]
    [InlineData("duration = \"2h\"", "a duration such as")]
    [InlineData("duration = \"0s\"\n[[expect]]\nkind = \"stays_connected\"", "duration 0ms: more than 0")]
    [InlineData("duration = \"5s\"", "nothing to do")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"6s\"\nclear = true", "s.toml:3:6: at 6s: after the scenario's end (5s)")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"", "give exactly one of inject = KIND, event = NAME or clear = true")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"\ninject = \"wobble\"", "inject \"wobble\": one of status, delay")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"\nevent = \"meteor\"", "event \"meteor\": one of perf-limits")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"\nevent = \"reset\"\nbytes = 5", "unknown key 'bytes'")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"\ninject = \"status\"\nmessage = { a = 1 }", "'message' in [step[0]] is a table")]
    [InlineData("duration = \"5s\"\n[[step]]\nat = \"1s\"\nname = \"a\"\nclear = true\n[[step]]\nat = \"2s\"\nname = \"a\"\nclear = true", "a second step named 'a'")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"guesses\"", "kind \"guesses\": one of sends")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"sends\"", "needs 'message'")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"sends\"\nmessage = \"CLOCK_RATE_WOBBLE\"", "message \"CLOCK_RATE_WOBBLE\": not an SCMI command")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"sends\"\nmessage = \"PROTOCOL_VERSION\"", "every protocol has one; give protocol too")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"answered\"\nstatus = \"MAYBE\"", "status \"MAYBE\": one of")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nat_least = 3\nat_most = 2", "at_least 3, at_most 2")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"session_closes\"\nafter = \"nope\"\nwithin = \"1s\"", "after \"nope\": no step has that name")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"retries\"\nmessage = \"CLOCK_RATE_SET\"", "needs 'within'")]
    [InlineData("duration = \"5s\"\n[[expect]]\nkind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nresource = -1", "resource -1")]
    [InlineData("duration = \"5s\"\n[guest]\nexpect_output = [\"x\"]\n[[expect]]\nkind = \"stays_connected\"", "needs 'run'")]
    [InlineData("duration = \"5s\"\n[guest]\nrun = \"true\"\nexpect_output = [\"(\"]\n[[expect]]\nkind = \"stays_connected\"", "not a regular expression")]
    [InlineData("duration = \"5s\"\nuntil_closed = true\n[[expect]]\nkind = \"stays_connected\"", "give the scenario's agent")]
    [InlineData("duration = \"5s\"\nseed = 99999999999\n[[expect]]\nkind = \"stays_connected\"", "seed 99999999999: a 32-bit integer")]
    [InlineData("duration = [", "s.toml:1:")]
    public void A_bad_scenario_is_refused_naming_the_place_and_the_value(string text, string expected)
    {
        var error = Assert.Throws<ModelException>(() => ScenarioLoader.Load(text, "s.toml"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_and_mutated_scenarios_are_refused_or_loaded_never_anything_else()
    {
        var random = new Random(17);
        var library = Directory.GetFiles(LibraryDirectory(), "*.toml").Select(File.ReadAllText).ToArray();
        for (var i = 0; i < 3000; i++)
        {
            string text;
            if (i % 3 == 0)
            {
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                text = System.Text.Encoding.UTF8.GetString(bytes);
            }
            else
            {
                var chars = library[i % library.Length].ToCharArray();
                for (var k = 0; k < 1 + random.Next(4); k++)
                    chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
                text = new string(chars);
            }

            try
            {
                ScenarioLoader.Load(text, "fuzz.toml");
            }
            catch (ModelException)
            {
            }
        }
    }

    [Fact]
    public void The_committed_library_loads_and_every_guest_scenario_says_what_the_guest_must_show()
    {
        var files = Directory.GetFiles(LibraryDirectory(), "*.toml");
        Assert.True(files.Length >= 10, $"{files.Length} scenarios");
        foreach (var file in files)
        {
            var scenario = ScenarioLoader.LoadFile(file);
            Assert.Equal("guest", scenario.Agent);
            Assert.NotEmpty(scenario.Expectations);
            Assert.False(string.IsNullOrWhiteSpace(scenario.Description), file);
            if (scenario.Guest is { } guest)
                Assert.NotEmpty(guest.ExpectOutput);
            else
                Assert.True(scenario.UntilClosed, $"{file}: a scenario without guest work ends a boot (until_closed)");
        }
    }

    private static string LibraryDirectory()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "scenarios")))
            dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("scenarios/");
        return Path.Combine(dir, "scenarios");
    }

    // --- the judge ------------------------------------------------------------------------

    private static byte[] Message(ScmiMessageType type, byte protocol, byte message, int token, params uint[] words)
    {
        var bytes = new byte[4 + (words.Length * 4)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, new ScmiHeader(message, type, protocol, (ushort)token).Value);
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + (i * 4)), words[i]);
        return bytes;
    }

    private static ObservedMessage Command(double seconds, int token, byte message, params uint[] words) =>
        new(TimeSpan.FromSeconds(seconds), "guest", true, Message(ScmiMessageType.COMMAND, 0x14, message, token, words));

    private static ObservedMessage Reply(double seconds, int token, byte message, ScmiStatus status) =>
        new(TimeSpan.FromSeconds(seconds), "guest", false, Message(ScmiMessageType.COMMAND, 0x14, message, token, unchecked((uint)(int)status)));

    private static Verdict Judge(string expect, IReadOnlyList<ObservedMessage> messages, IReadOnlyList<ObservedSessions>? sessions = null)
    {
        var scenario = ScenarioLoader.Load($"agent = \"guest\"\nduration = \"10s\"\n[[step]]\nat = \"1s\"\nname = \"go\"\nclear = true\n[[expect]]\n{expect}", "j.toml");
        return Assert.Single(ScenarioJudge.Judge(scenario, messages, sessions ?? [], new Dictionary<string, TimeSpan> { ["go"] = TimeSpan.FromSeconds(1) }, TimeSpan.FromSeconds(10), 0));
    }

    private const byte RateSet = (byte)ClockMessageId.CLOCK_RATE_SET;

    [Fact]
    public void Retries_holds_only_when_the_same_command_follows_each_failure_in_time()
    {
        const string expect = "kind = \"retries\"\nmessage = \"CLOCK_RATE_SET\"\nwithin = \"1s\"";
        ObservedMessage[] retried = [Command(1, 1, RateSet, 0, 5, 100, 0), Reply(1.01, 1, RateSet, ScmiStatus.BUSY), Command(1.5, 2, RateSet, 0, 5, 100, 0), Reply(1.51, 2, RateSet, ScmiStatus.SUCCESS)];
        Assert.Equal(VerdictOutcome.Pass, Judge(expect, retried).Outcome);
        ObservedMessage[] tooLate = [Command(1, 1, RateSet, 0, 5, 100, 0), Reply(1.01, 1, RateSet, ScmiStatus.BUSY), Command(2.5, 2, RateSet, 0, 5, 100, 0)];
        Assert.Equal(VerdictOutcome.Fail, Judge(expect, tooLate).Outcome);
        ObservedMessage[] another = [Command(1, 1, RateSet, 0, 5, 100, 0), Reply(1.01, 1, RateSet, ScmiStatus.BUSY), Command(1.5, 2, RateSet, 0, 5, 200, 0)];
        Assert.Equal(VerdictOutcome.Fail, Judge(expect, another).Outcome); // another rate is not a retry
        var none = Judge(expect, [Command(1, 1, RateSet, 0, 5, 100, 0), Reply(1.01, 1, RateSet, ScmiStatus.SUCCESS)]);
        Assert.Equal(VerdictOutcome.Fail, none.Outcome);
        Assert.Contains("did the injection fire", none.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Sends_and_never_sends_count_in_their_window_and_by_resource()
    {
        ObservedMessage[] seen = [Command(0.5, 1, RateSet, 0, 5, 1, 0), Command(2, 2, RateSet, 0, 6, 1, 0), Command(3, 3, RateSet, 0, 6, 1, 0)];
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nat_least = 3", seen).Outcome);
        Assert.Equal(VerdictOutcome.Fail, Judge("kind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nat_most = 2", seen).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nresource = 6\nat_least = 2\nat_most = 2", seen).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nafter = \"go\"\nwithin = \"1.5s\"\nat_least = 1\nat_most = 1", seen).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"never_sends\"\nmessage = \"CLOCK_RATE_SET\"\nresource = 5\nfrom = \"1s\"", seen).Outcome);
        var denied = Judge("kind = \"never_sends\"\nmessage = \"CLOCK_RATE_SET\"\nresource = 6", seen);
        Assert.Equal(VerdictOutcome.Fail, denied.Outcome);
        Assert.Contains("2 sent in 0ms..10s (expected 0) at 2s, 3s", denied.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Answered_and_notified_count_what_the_platform_sent()
    {
        var notification = new ObservedMessage(TimeSpan.FromSeconds(2), "guest", false, Message(ScmiMessageType.NOTIFICATION, 0x13, 0x01, 0, 0, 0, 800));
        ObservedMessage[] seen = [Reply(1, 1, RateSet, ScmiStatus.DENIED), Reply(1.2, 2, RateSet, ScmiStatus.SUCCESS), notification, notification];
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"answered\"\nmessage = \"CLOCK_RATE_SET\"\nstatus = \"DENIED\"\nat_most = 1", seen).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"answered\"\nmessage = \"CLOCK_RATE_SET\"\nat_least = 2", seen).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"notified\"\nnotification = \"PERFORMANCE_LEVEL_CHANGED\"\nat_least = 2", seen).Outcome);
        Assert.Equal(VerdictOutcome.Fail, Judge("kind = \"notified\"\nnotification = \"PERFORMANCE_LIMITS_CHANGED\"", seen).Outcome);
    }

    [Fact]
    public void A_token_reused_while_its_command_is_unanswered_is_caught_and_a_channel_closing_forgets_tokens()
    {
        const string expect = "kind = \"no_token_reuse_in_flight\"";
        Assert.Equal(VerdictOutcome.Pass, Judge(expect, [Command(1, 7, RateSet), Reply(1.1, 7, RateSet, ScmiStatus.SUCCESS), Command(2, 7, RateSet)]).Outcome);
        var reused = Judge(expect, [Command(1, 7, RateSet), Command(2, 7, RateSet)]);
        Assert.Equal(VerdictOutcome.Fail, reused.Outcome);
        Assert.Contains("token 7 at 2s (CLOCK_RATE_SET) while its CLOCK_RATE_SET of 1s was unanswered", reused.Detail, StringComparison.Ordinal);
        ObservedSessions[] reset = [new(TimeSpan.FromSeconds(1.5), "guest", 0), new(TimeSpan.FromSeconds(1.8), "guest", 1)];
        Assert.Equal(VerdictOutcome.Pass, Judge(expect, [Command(1, 7, RateSet), Command(2, 7, RateSet)], reset).Outcome);
    }

    [Fact]
    public void Session_closes_and_stays_connected_read_the_polled_counts()
    {
        ObservedSessions[] closing = [new(TimeSpan.FromSeconds(0.5), "guest", 1), new(TimeSpan.FromSeconds(1.5), "guest", 1), new(TimeSpan.FromSeconds(3), "guest", 0)];
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"session_closes\"\nafter = \"go\"\nwithin = \"3s\"", [], closing).Outcome);
        Assert.Equal(VerdictOutcome.Fail, Judge("kind = \"session_closes\"\nafter = \"go\"\nwithin = \"1s\"", [], closing).Outcome);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"stays_connected\"\nto = \"2s\"", [], closing).Outcome);
        var dropped = Judge("kind = \"stays_connected\"", [], closing);
        Assert.Equal(VerdictOutcome.Fail, dropped.Outcome);
        Assert.Contains("no channel open at 3s", dropped.Detail, StringComparison.Ordinal);
        Assert.Equal(VerdictOutcome.Fail, Judge("kind = \"stays_connected\"", [], []).Outcome);
    }

    [Fact]
    public void A_reconnect_between_two_polls_shows_in_the_closed_count()
    {
        // Open at every poll, but one channel closed (and another opened) between 1.5 s and 2.5 s.
        ObservedSessions[] reconnected = [new(TimeSpan.FromSeconds(0.5), "guest", 1, 0), new(TimeSpan.FromSeconds(1.5), "guest", 1, 0), new(TimeSpan.FromSeconds(2.5), "guest", 1, 1)];
        var stayed = Judge("kind = \"stays_connected\"", [], reconnected);
        Assert.Equal(VerdictOutcome.Fail, stayed.Outcome);
        Assert.Contains("closed 1 channel(s) between the polls at 1.5s and 2.5s", stayed.Detail, StringComparison.Ordinal);
        Assert.Equal(VerdictOutcome.Pass, Judge("kind = \"stays_connected\"\nto = \"2s\"", [], reconnected).Outcome);

        // session_closes: the one channel open at the step (1 s) closed, counted at 2.5 s.
        var closes = Judge("kind = \"session_closes\"\nafter = \"go\"\nwithin = \"3s\"", [], reconnected);
        Assert.Equal(VerdictOutcome.Pass, closes.Outcome);
        Assert.Contains("all closed at 2.5s", closes.Detail, StringComparison.Ordinal);
        // Two open at the step and one close counted: not all of them closed.
        ObservedSessions[] oneOfTwo = [new(TimeSpan.FromSeconds(0.5), "guest", 2, 0), new(TimeSpan.FromSeconds(2.5), "guest", 2, 1)];
        Assert.Equal(VerdictOutcome.Fail, Judge("kind = \"session_closes\"\nafter = \"go\"\nwithin = \"3s\"", [], oneOfTwo).Outcome);
    }

    [Fact]
    public void A_known_defect_that_shows_is_expected_and_one_that_does_not_is_news()
    {
        const string expect = "kind = \"sends\"\nmessage = \"CLOCK_RATE_SET\"\nknown_defect = \"never sends it\"";
        Assert.Equal(VerdictOutcome.KnownDefect, Judge(expect, []).Outcome);
        Assert.True(Judge(expect, []).Ok);
        var gone = Judge(expect, [Command(1, 1, RateSet)]);
        Assert.Equal(VerdictOutcome.DefectGone, gone.Outcome);
        Assert.False(gone.Ok);
    }

    [Fact]
    public void Nothing_is_judged_when_the_trace_dropped_records()
    {
        var scenario = ScenarioLoader.Load("duration = \"1s\"\n[[expect]]\nkind = \"no_token_reuse_in_flight\"", "d.toml");
        var verdict = Assert.Single(ScenarioJudge.Judge(scenario, [], [], new Dictionary<string, TimeSpan>(), TimeSpan.FromSeconds(1), dropped: 3));
        Assert.Equal(VerdictOutcome.Fail, verdict.Outcome);
        Assert.Contains("dropped 3 record(s)", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void JUnit_XML_has_a_suite_per_scenario_a_case_per_expectation_failures_and_skipped_known_defects()
    {
        var scenario = ScenarioLoader.Load(Minimal + "\n[[expect]]\nkind = \"sends\"\nmessage = \"CLOCK_RATE_GET\"\nknown_defect = \"no reads\"\n[[expect]]\nkind = \"stays_connected\"", "busy.toml");
        var verdicts = ScenarioJudge.Judge(scenario, [], [new(TimeSpan.FromSeconds(1), "guest", 1)], new Dictionary<string, TimeSpan> { ["busy"] = TimeSpan.Zero }, TimeSpan.FromSeconds(5), 0);
        var xml = XDocument.Parse(JUnitReport.Write([new JUnitReport.Run(scenario, verdicts, TimeSpan.FromSeconds(5.2), ["busy.toml:3:1: step 1 refused: agent \"guest\": no such agent"])]));
        var suite = Assert.Single(xml.Root!.Elements("testsuite"));
        Assert.Equal(("busy", "4", "2", "1", "5.200"), ((string)suite.Attribute("name")!, (string)suite.Attribute("tests")!, (string)suite.Attribute("failures")!, (string)suite.Attribute("skipped")!, (string)suite.Attribute("time")!));
        var cases = suite.Elements("testcase").ToList();
        Assert.Equal(["steps", "retries CLOCK_RATE_SET", "sends CLOCK_RATE_GET", "stays connected"], cases.Select(c => (string)c.Attribute("name")!));
        Assert.NotNull(cases[0].Element("failure"));
        Assert.Contains("did the injection fire", (string)cases[1].Element("failure")!.Attribute("message")!, StringComparison.Ordinal);
        Assert.Equal("known agent defect: no reads", (string)cases[2].Element("skipped")!.Attribute("message")!);
        Assert.Null(cases[3].Element("failure"));
    }
}
