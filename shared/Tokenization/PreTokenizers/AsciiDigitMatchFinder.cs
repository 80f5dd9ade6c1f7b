using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Each ASCII digit is a match of its own (the Digits pre-tokenizer's predicate pattern).</summary>
internal sealed class AsciiDigitMatchFinder : IMatchFinder
{
    public void FindMatches(ReadOnlySpan<char> text, RangeList matches)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                matches.Add(i, i + 1);
            }
        }
    }
}
