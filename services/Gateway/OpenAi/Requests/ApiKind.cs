namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>Which OpenAI endpoint a generation answers; decides the response shapes.</summary>
public enum ApiKind
{
    ChatCompletions,
    Completions,
}
