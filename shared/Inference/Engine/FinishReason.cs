namespace LlmServe.Inference.Engine;

/// <summary>Why a sequence stopped (OpenAI's finish_reason).</summary>
public enum FinishReason
{
    /// <summary>EOS or a stop token id.</summary>
    Stop,

    /// <summary>max_tokens or the context limit.</summary>
    Length,
}
