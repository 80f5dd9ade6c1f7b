namespace LlmServe.Reliability.Tests.Load;

public enum OutcomeKind
{
    /// <summary>The stream ended with [DONE], every choice finished, no error event.</summary>
    Completed,

    /// <summary>An HTTP error status, an SSE error event, a transport error or a stream cut short: the client was told.</summary>
    Failed,

    /// <summary>No end within the hang limit: the client was left waiting.</summary>
    Hung,
}
