namespace LlmServe.Tokenization.Decoders;

/// <summary>Applies decoders in order.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<IDecoder> decoders) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        foreach (IDecoder d in decoders)
        {
            d.DecodeChain(tokens);
        }
    }
}
