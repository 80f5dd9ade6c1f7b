namespace LlmServe.Tokenization.Decoders;

/// <summary>A tokenizer.json decoder: rewrites the list of token strings in place (Hugging Face's decode_chain).</summary>
internal interface IDecoder
{
    void DecodeChain(List<string> tokens);
}
