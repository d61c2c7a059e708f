namespace Vscmi.Platform;

/// <summary>One open channel as an operator sees it (<see cref="ScmiPlatform.SessionStatuses"/>).</summary>
/// <param name="AgentId">The agent (1-based).</param>
/// <param name="AgentName">The agent's name in the model.</param>
/// <param name="HasP2A">Whether notifications and delayed responses can reach it.</param>
/// <param name="CommandsHandled">Commands answered on this channel so far.</param>
/// <param name="EventsWaiting">Notifications and delayed responses not delivered yet.</param>
/// <param name="NotificationsDropped">Notifications dropped because its backlog was full.</param>
public sealed record SessionStatus(int AgentId, string AgentName, bool HasP2A, long CommandsHandled, int EventsWaiting, int NotificationsDropped);
