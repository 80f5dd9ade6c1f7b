namespace LlmServe.Scheduler.Planning;

/// <summary>One sequence's share of the step in flight: <paramref name="Tokens"/> tokens from <paramref name="Start"/>.</summary>
internal readonly record struct ScheduledEntry(Sequence Sequence, int Start, int Tokens);
