namespace LlmServe.LoadGen.Running;

/// <summary>The request fields every benchmark request carries besides its prompt and max_tokens.</summary>
/// <param name="Temperature">0 = greedy (vLLM's bench default).</param>
/// <param name="IgnoreEos">Send vLLM's <c>ignore_eos: true</c> and <c>min_tokens = max_tokens</c> so every request generates exactly max_tokens.</param>
/// <param name="IncludeUsage">Ask for <c>stream_options.include_usage</c> (standard OpenAI) to count output tokens from the server's usage.</param>
/// <param name="TopP">Sent as <c>top_p</c> when set.</param>
/// <param name="TopK">Sent as <c>top_k</c> (a vLLM extension) when set.</param>
/// <param name="MinP">Sent as <c>min_p</c> (a vLLM extension) when set.</param>
public sealed record SamplingSettings(double Temperature, bool IgnoreEos, bool IncludeUsage, double? TopP = null, int? TopK = null, double? MinP = null);
