using LlmServe.Tokenization.AddedTokens;
using LlmServe.Tokenization.Decoders;
using LlmServe.Tokenization.Models;
using LlmServe.Tokenization.Normalizers;
using LlmServe.Tokenization.PostProcessors;
using LlmServe.Tokenization.PreTokenizers;

namespace LlmServe.Tokenization.Loading;

/// <summary>The components a tokenizer.json describes, built and validated.</summary>
internal sealed record TokenizerDefinition(
    BpeModel Model,
    INormalizer? Normalizer,
    IPreTokenizer? PreTokenizer,
    IDecoder? Decoder,
    SpecialTokenFrame Frame,
    IReadOnlyList<AddedToken> AddedTokens,
    bool DecodesByteFallback);
