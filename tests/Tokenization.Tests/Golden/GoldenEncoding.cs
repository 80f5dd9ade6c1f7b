namespace LlmServe.Tokenization.Tests.Golden;

/// <summary>Hugging Face's results for one corpus string.</summary>
internal sealed record GoldenEncoding(int[] WithSpecialTokens, int[] WithoutSpecialTokens, string Decoded, string DecodedSkipSpecial);
