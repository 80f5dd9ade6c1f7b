namespace LlmServe.Scheduler.Planning;

/// <summary>
/// One sequence's share of a step in flight: <paramref name="Tokens"/> tokens from <paramref name="Start"/>, and
/// whether the step samples the sequence's next token.
/// </summary>
internal readonly record struct ScheduledEntry(Sequence Sequence, int Start, int Tokens, bool Samples);
