using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>OpenAI's finish_reason strings (vLLM's "abort" for cancelled or failed choices).</summary>
internal static class FinishReasons
{
    public static string? ToOpenAi(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Abort => "abort",
        _ => null,
    };
}
