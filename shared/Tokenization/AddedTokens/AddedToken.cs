namespace LlmServe.Tokenization.AddedTokens;

/// <summary>One entry of tokenizer.json's added_tokens.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LeftStrip, bool RightStrip, bool Normalized);
