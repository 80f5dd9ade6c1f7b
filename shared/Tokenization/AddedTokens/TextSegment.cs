namespace LlmServe.Tokenization.AddedTokens;

/// <summary>A [Start, End) slice of text: an added token (TokenId ≥ 0) or plain text to tokenize (TokenId = -1).</summary>
internal readonly record struct TextSegment(int Start, int End, int TokenId);
