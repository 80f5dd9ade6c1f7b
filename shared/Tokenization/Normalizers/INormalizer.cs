namespace LlmServe.Tokenization.Normalizers;

/// <summary>A tokenizer.json normalizer: rewrites a text segment before pre-tokenization.</summary>
internal interface INormalizer
{
    /// <summary>Returns the normalized text; returns <paramref name="input"/> itself when nothing changes.</summary>
    string Normalize(string input);
}
