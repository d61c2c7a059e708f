using System.Globalization;
using System.Text;
using System.Xml;

namespace Vscmi.Platform.Scenarios;

/// <summary>
/// Scenario verdicts as JUnit XML, the format CI systems read: one test suite per scenario, one
/// test case per expectation. A known agent defect seen again is a skipped case (with the defect
/// as its message); a defect that did not show is a failure, so the library gets updated.
/// </summary>
public static class JUnitReport
{
    /// <summary>One scenario's run: its verdicts, how long it took, and any step the daemon refused.</summary>
    /// <param name="Scenario">The scenario.</param>
    /// <param name="Verdicts">Its verdicts.</param>
    /// <param name="Elapsed">How long it ran.</param>
    /// <param name="Errors">Steps the daemon refused, and other errors that make the run invalid.</param>
    public sealed record Run(Scenario Scenario, IReadOnlyList<Verdict> Verdicts, TimeSpan Elapsed, IReadOnlyList<string> Errors);

    /// <summary>Writes the runs as a JUnit <c>testsuites</c> document.</summary>
    public static string Write(IReadOnlyList<Run> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        using var bytes = new MemoryStream();
        using (var xml = XmlWriter.Create(bytes, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) }))
        {
            xml.WriteStartElement("testsuites");
            foreach (var run in runs)
            {
                var cases = run.Verdicts.Count + (run.Errors.Count > 0 ? 1 : 0);
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("name", run.Scenario.Name);
                xml.WriteAttributeString("tests", cases.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("failures", (run.Verdicts.Count(v => v.Outcome is VerdictOutcome.Fail or VerdictOutcome.DefectGone) + (run.Errors.Count > 0 ? 1 : 0)).ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("skipped", run.Verdicts.Count(v => v.Outcome == VerdictOutcome.KnownDefect).ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("time", run.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
                if (run.Errors.Count > 0)
                {
                    xml.WriteStartElement("testcase");
                    xml.WriteAttributeString("classname", run.Scenario.Name);
                    xml.WriteAttributeString("name", "steps");
                    xml.WriteStartElement("failure");
                    xml.WriteAttributeString("message", run.Errors[0]);
                    xml.WriteString(string.Join('\n', run.Errors));
                    xml.WriteEndElement();
                    xml.WriteEndElement();
                }

                foreach (var verdict in run.Verdicts)
                {
                    xml.WriteStartElement("testcase");
                    xml.WriteAttributeString("classname", run.Scenario.Name);
                    xml.WriteAttributeString("name", verdict.Expectation.Name);
                    switch (verdict.Outcome)
                    {
                        case VerdictOutcome.Fail:
                            xml.WriteStartElement("failure");
                            xml.WriteAttributeString("message", verdict.Detail);
                            xml.WriteString($"{verdict.Expectation.Line}: {verdict.Detail}");
                            xml.WriteEndElement();
                            break;
                        case VerdictOutcome.DefectGone:
                            xml.WriteStartElement("failure");
                            xml.WriteAttributeString("message", $"the known agent defect did not show: {verdict.Detail}");
                            xml.WriteString($"{verdict.Expectation.Line}: recorded defect \"{verdict.Expectation.KnownDefect}\" did not show; update the scenario. {verdict.Detail}");
                            xml.WriteEndElement();
                            break;
                        case VerdictOutcome.KnownDefect:
                            xml.WriteStartElement("skipped");
                            xml.WriteAttributeString("message", $"known agent defect: {verdict.Expectation.KnownDefect}");
                            xml.WriteEndElement();
                            break;
                    }

                    xml.WriteElementString("system-out", verdict.Detail);
                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
