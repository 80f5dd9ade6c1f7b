using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>The Split pre-tokenizer: a pattern (literal or regex), a delimiter behavior and invert.</summary>
internal sealed class SplitPreTokenizer(IMatchFinder finder, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void PreTokenize(PieceBuffer source, PieceBuffer destination, PreTokenizerScratch scratch)
    {
        for (int i = 0; i < source.Count; i++)
        {
            ReadOnlySpan<char> piece = source[i];
            scratch.Matches.Clear();
            finder.FindMatches(piece, scratch.Matches);
            SplitApplier.Apply(piece, source.IsAtInputStart(i), scratch.Matches, behavior, invert, destination, scratch.Segments);
        }
    }
}
