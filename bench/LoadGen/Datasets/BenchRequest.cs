namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// One request of a workload: the prompt (token ids or text), its length in tokens as the dataset knows it, and
/// how many tokens to ask for.
/// </summary>
/// <param name="PromptIds">Token ids sent as the completions prompt; exact input length. Null for text prompts.</param>
/// <param name="PromptText">Text prompt (completions) or user message (chat). Null for token-id prompts.</param>
/// <param name="InputTokens">Prompt length in tokens: exact for ids, tokenized by the server or estimated for text.</param>
/// <param name="OutputTokens">max_tokens of the request.</param>
public sealed record BenchRequest(int[]? PromptIds, string? PromptText, int InputTokens, int OutputTokens);
