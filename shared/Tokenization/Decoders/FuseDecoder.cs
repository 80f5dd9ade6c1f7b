namespace LlmServe.Tokenization.Decoders;

/// <summary>Joins all tokens into one string.</summary>
internal sealed class FuseDecoder : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        string joined = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(joined);
    }
}
