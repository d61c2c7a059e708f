using System.Globalization;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.Scenarios;

/// <summary>
/// A scenario (docs/scenarios.md): timed steps that make a running platform misbehave or act on its
/// own, and expectations about what the agent under test does meanwhile, judged from the daemon's
/// trace. Loaded from TOML by <see cref="ScenarioLoader"/>.
/// </summary>
/// <param name="Name">Its name (the file's, without .toml, unless it says otherwise).</param>
/// <param name="Description">What it checks, for people.</param>
/// <param name="Agent">The agent under test: the default of every step and expectation (null: every agent).</param>
/// <param name="Duration">How long it runs, from its start.</param>
/// <param name="Seed">The seed of every step's random choices that does not give its own.</param>
/// <param name="Guest">What the agent is made to do meanwhile, where the bench drives it (the e2e Linux guest).</param>
/// <param name="Steps">The steps, in time order.</param>
/// <param name="Expectations">What must hold.</param>
public sealed record Scenario(string Name, string Description, string? Agent, TimeSpan Duration, int Seed, GuestWork? Guest,
    IReadOnlyList<ScenarioStep> Steps, IReadOnlyList<Expectation> Expectations)
{
    /// <summary>End the run early once every step has run and the agent has no channel open (a shutdown scenario need not wait out its duration).</summary>
    public bool UntilClosed { get; init; }
}

/// <summary>
/// The agent's side of a scenario where a bench drives the agent (tests/e2e runs it in the Linux
/// guest): a shell script, and what its output and the kernel log must and must not contain.
/// </summary>
/// <param name="Run">The shell commands (busybox sh in the e2e guest).</param>
/// <param name="ExpectOutput">Regular expressions each of which some line of the output or of the new kernel log must match.</param>
/// <param name="ForbidLog">Regular expressions no new kernel log line may match (default: WARNING, BUG, Oops, a call trace).</param>
public sealed record GuestWork(string Run, IReadOnlyList<string> ExpectOutput, IReadOnlyList<string> ForbidLog)
{
    /// <summary>
    /// A defect of the agent that the guest's output shows (then <see cref="ExpectOutput"/> holds its
    /// evidence, so the bench notices when the agent changes); null when the output shows none.
    /// </summary>
    public string? KnownDefect { get; init; }

    /// <summary>What a kernel logs when it is hurt: no scenario may make Linux log these.</summary>
    public static readonly IReadOnlyList<string> DefaultForbidden = ["WARNING:", "BUG:", "Oops", "Call trace:", "Kernel panic"];
}

/// <summary>What a step does.</summary>
public enum StepAction
{
    /// <summary>Injects a fault (<c>inject add</c>; kind in <see cref="ScenarioStep.Kind"/>).</summary>
    Inject,
    /// <summary>Makes a platform event (<c>inject event</c>; event in <see cref="ScenarioStep.Kind"/>).</summary>
    Event,
    /// <summary>Clears the faults this scenario injected so far.</summary>
    Clear,
}

/// <summary>One timed step: at <paramref name="At"/> after the start, one control request.</summary>
/// <param name="At">When, from the scenario's start.</param>
/// <param name="Name">Its name, for expectations that count from it (<c>after</c>); null for none.</param>
/// <param name="Action">What it does.</param>
/// <param name="Kind">The fault kind or event name.</param>
/// <param name="Parameters">The request's other fields, as the control socket takes them (docs/control.md).</param>
/// <param name="Line">Where it is in its file, for messages.</param>
public sealed record ScenarioStep(TimeSpan At, string? Name, StepAction Action, string Kind, IReadOnlyList<KeyValuePair<string, object>> Parameters, string Line);

/// <summary>The kinds of expectation (docs/scenarios.md).</summary>
public enum ExpectationKind
{
    /// <summary>The agent sends a message at least / at most so many times in the window.</summary>
    Sends,
    /// <summary>The agent never sends a message in the window (<see cref="Sends"/> at most 0).</summary>
    NeverSends,
    /// <summary>The platform answers a message with a status at least / at most so many times in the window.</summary>
    Answered,
    /// <summary>The platform sends the agent a notification at least / at most so many times in the window.</summary>
    Notified,
    /// <summary>After each answer with a status (BUSY by default) in the window, the agent sends the same message again within a time.</summary>
    Retries,
    /// <summary>The agent never sends a command under a token whose earlier command is still unanswered.</summary>
    NoTokenReuseInFlight,
    /// <summary>The agent's channels all close within a time (after a step, or from the start).</summary>
    SessionCloses,
    /// <summary>The agent keeps a channel open through the window (it did not crash or reset its device).</summary>
    StaysConnected,
}

/// <summary>One expectation: what must hold in which window.</summary>
/// <param name="Name">What it says, for people (a default is made from the kind).</param>
/// <param name="Kind">The kind.</param>
/// <param name="Agent">The agent it is about (null: every agent).</param>
/// <param name="Protocol">The message's protocol, or null.</param>
/// <param name="Message">The message (or notification) id, or null for any.</param>
/// <param name="Status">The status (Answered, Retries), or null for any.</param>
/// <param name="Resource">Only messages naming this resource (the agent's own id), or null.</param>
/// <param name="AtLeast">The fewest times.</param>
/// <param name="AtMost">The most times, or null.</param>
/// <param name="After">The step the window starts at, or null (the window starts at <see cref="From"/>).</param>
/// <param name="From">Where the window starts, from the scenario's start (or from <see cref="After"/>'s step).</param>
/// <param name="To">Where it ends, from the scenario's start; null: the end of the run (or <see cref="Within"/> after its start).</param>
/// <param name="Within">A deadline: for Retries, each retry's; for SessionCloses, the closing's; otherwise the window's length.</param>
/// <param name="KnownDefect">Set when the expectation fails against a known agent on purpose (a recorded agent defect): then failing is expected and passing is news.</param>
/// <param name="Line">Where it is in its file.</param>
public sealed record Expectation(string Name, ExpectationKind Kind, string? Agent, byte? Protocol, byte? Message, ScmiStatus? Status, uint? Resource,
    long AtLeast, long? AtMost, string? After, TimeSpan From, TimeSpan? To, TimeSpan? Within, string? KnownDefect, string Line);

/// <summary>Durations as scenarios write them: <c>250ms</c>, <c>2s</c>, <c>1.5s</c>, <c>1m</c>.</summary>
public static class ScenarioDuration
{
    /// <summary>Parses a duration; false when the text is not one.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = default;
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (null, 0);
        if (number is null || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount * scale > 86_400)
            return false;
        value = TimeSpan.FromSeconds(amount * scale);
        return true;
    }

    /// <summary>A duration as a scenario would write it.</summary>
    public static string Format(TimeSpan value) =>
        value.TotalSeconds >= 1 ? $"{value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s" : $"{value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
}
