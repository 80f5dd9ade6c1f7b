namespace LlmServe.Tokenization.Normalizers;

/// <summary>Prepends a string to every non-empty segment (SentencePiece's dummy prefix, as Llama 2 ships it).</summary>
internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    public string Normalize(string input) => input.Length == 0 ? input : string.Concat(prefix, input);
}
