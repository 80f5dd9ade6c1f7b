using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Metaspace: spaces become the replacement char (▁), optionally prepended, optionally split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme prependScheme, bool split) : IPreTokenizer
{
    public void PreTokenize(PieceBuffer source, PieceBuffer destination, PreTokenizerScratch scratch)
    {
        for (int i = 0; i < source.Count; i++)
        {
            ReadOnlySpan<char> piece = source[i];
            bool atStart = source.IsAtInputStart(i);
            CharBuffer chars = scratch.Chars;
            chars.Clear();
            bool prepend = piece[0] != ' ' && piece[0] != replacement
                && (prependScheme == PrependScheme.Always || (prependScheme == PrependScheme.First && atStart));
            if (prepend)
            {
                chars.Append(replacement);
            }

            foreach (char c in piece)
            {
                chars.Append(c == ' ' ? replacement : c);
            }

            ReadOnlySpan<char> replaced = chars.Span;
            if (!split)
            {
                destination.Add(replaced, atStart);
                continue;
            }

            scratch.Matches.Clear();
            for (int k = 0; k < replaced.Length; k++)
            {
                if (replaced[k] == replacement)
                {
                    scratch.Matches.Add(k, k + 1);
                }
            }

            SplitApplier.Apply(replaced, atStart, scratch.Matches, SplitBehavior.MergedWithNext, invert: false, destination, scratch.Segments);
        }
    }
}
