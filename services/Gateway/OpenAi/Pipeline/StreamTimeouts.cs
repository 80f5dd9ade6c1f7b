namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>The deadlines one generation's stream runs under: first chunk, silence between chunks, whole request.</summary>
internal readonly record struct StreamTimeouts(TimeSpan FirstChunk, TimeSpan Idle, DateTimeOffset Deadline);
