using System.Globalization;
using Vscmi.Platform.Model;

namespace Vscmi.Cli;

/// <summary>An agent named on the command line: a name from the model or a 1-based number.</summary>
internal static class AgentArgument
{
    /// <summary>The agent's id; a FormatException listing the model's agents when there is none such (<paramref name="context"/> says where it was written).</summary>
    public static int Resolve(DeviceModel model, string text, string context = "")
    {
        for (var i = 0; i < model.Agents.Count; i++)
        {
            if (model.Agents[i].Name == text)
                return i + 1;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1 && id <= model.Agents.Count)
            return id;
        throw new FormatException($"unknown agent '{text}'{context}; the model's agents are: {string.Join(", ", model.Agents.Select((a, i) => $"{a.Name} ({i + 1})"))}");
    }
}
