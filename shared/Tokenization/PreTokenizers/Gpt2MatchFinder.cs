using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>
/// The GPT-2 split regex that ByteLevel uses when use_regex is on, hand-compiled:
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.
/// </summary>
internal sealed class Gpt2MatchFinder : IMatchFinder
{
    public void FindMatches(ReadOnlySpan<char> text, RangeList matches)
    {
        int i = 0;
        while (i < text.Length)
        {
            int end = MatchAt(text, i);
            matches.Add(i, end);
            i = end;
        }
    }

    private static int MatchAt(ReadOnlySpan<char> s, int i)
    {
        char c = s[i];
        if (c == '\'' && i + 1 < s.Length)
        {
            char a = s[i + 1];
            if (a is 's' or 't' or 'm' or 'd')
            {
                return i + 2;
            }

            if (i + 2 < s.Length && ((a is 'r' or 'v' && s[i + 2] == 'e') || (a == 'l' && s[i + 2] == 'l')))
            {
                return i + 3;
            }
        }

        int p = c == ' ' ? i + 1 : i;
        if (p < s.Length)
        {
            int cp = CodePoints.Read(s, p, out int w);
            if (CodePoints.IsLetter(cp))
            {
                return Gpt4StyleMatchFinder.SkipLetters(s, p + w);
            }

            if (CodePoints.IsNumber(cp))
            {
                return Gpt4StyleMatchFinder.SkipNumbers(s, p + w);
            }

            if (Gpt4StyleMatchFinder.IsOther(cp))
            {
                return Gpt4StyleMatchFinder.SkipOthers(s, p + w);
            }
        }

        int wsEnd = i;
        while (wsEnd < s.Length && CodePoints.IsWhiteSpace(s[wsEnd]))
        {
            wsEnd++;
        }

        return Gpt4StyleMatchFinder.WhitespaceEnd(s.Length, i, wsEnd, lastNewline: -1);
    }
}
