using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Matches every non-overlapping occurrence of a literal string.</summary>
internal sealed class LiteralMatchFinder(string literal) : IMatchFinder
{
    public void FindMatches(ReadOnlySpan<char> text, RangeList matches)
    {
        if (literal.Length == 0)
        {
            return;
        }

        int offset = 0;
        while (offset < text.Length)
        {
            int i = text[offset..].IndexOf(literal, StringComparison.Ordinal);
            if (i < 0)
            {
                return;
            }

            matches.Add(offset + i, offset + i + literal.Length);
            offset += i + literal.Length;
        }
    }
}
