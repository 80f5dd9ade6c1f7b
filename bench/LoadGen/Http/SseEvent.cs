namespace LlmServe.LoadGen.Http;

/// <summary>One server-sent event: its <c>event:</c> type (null when absent) and its data lines joined by newlines.</summary>
public readonly record struct SseEvent(string? Type, string Data)
{
    /// <summary>OpenAI's end-of-stream sentinel.</summary>
    public bool IsDone => Data == "[DONE]";
}
