namespace LlmServe.Inference.Sampling;

/// <summary>A token id with its log-probability under the model's raw (unprocessed) distribution.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
