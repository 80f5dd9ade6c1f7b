using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>A tokenizer.json pre-tokenizer: splits (and may rewrite) the pieces of a normalized segment.</summary>
internal interface IPreTokenizer
{
    void PreTokenize(PieceBuffer source, PieceBuffer destination, PreTokenizerScratch scratch);
}
