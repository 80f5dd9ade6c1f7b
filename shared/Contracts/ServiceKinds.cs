namespace LlmServe.Contracts;

/// <summary>The <c>ServiceHeartbeat.service</c> values, also the service token of <see cref="Subjects.Heartbeat"/>.</summary>
public static class ServiceKinds
{
    public const string Tokenizer = "tokenizer";

    public const string Detokenizer = "detokenizer";
}
