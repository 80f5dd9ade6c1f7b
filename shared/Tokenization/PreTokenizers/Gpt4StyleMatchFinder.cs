using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>
/// The Llama 3 / GPT-4 split regex, hand-compiled, and its Qwen variant (single digits):
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// Works on code points like Oniguruma (astral letters are letters; case-insensitive 's also matches 'ſ),
/// never backtracks, and every position starts a match, so the matches tile the text.
/// </summary>
internal sealed class Gpt4StyleMatchFinder(int maxDigits) : IMatchFinder
{
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string QwenPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

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

    private int MatchAt(ReadOnlySpan<char> s, int i)
    {
        int c = CodePoints.Read(s, i, out int w);
        if (c == '\'' && i + 1 < s.Length)
        {
            int contraction = MatchContraction(s, i);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        if (CodePoints.IsLetter(c))
        {
            return SkipLetters(s, i + w);
        }

        bool isNumber = CodePoints.IsNumber(c);
        if (c != '\r' && c != '\n' && !isNumber && i + w < s.Length)
        {
            int next = CodePoints.Read(s, i + w, out int w2);
            if (CodePoints.IsLetter(next))
            {
                return SkipLetters(s, i + w + w2);
            }
        }

        if (isNumber)
        {
            int j = i + w;
            for (int count = 1; count < maxDigits && j < s.Length; count++)
            {
                int d = CodePoints.Read(s, j, out int dw);
                if (!CodePoints.IsNumber(d))
                {
                    break;
                }

                j += dw;
            }

            return j;
        }

        int p = c == ' ' ? i + 1 : i;
        if (p < s.Length)
        {
            int first = CodePoints.Read(s, p, out int fw);
            if (IsOther(first))
            {
                int j = SkipOthers(s, p + fw);
                while (j < s.Length && s[j] is '\r' or '\n')
                {
                    j++;
                }

                return j;
            }
        }

        // Only whitespace remains (every other code point matched above).
        int wsEnd = i;
        int lastNewline = -1;
        while (wsEnd < s.Length && CodePoints.IsWhiteSpace(s[wsEnd]))
        {
            if (s[wsEnd] is '\r' or '\n')
            {
                lastNewline = wsEnd;
            }

            wsEnd++;
        }

        return WhitespaceEnd(s.Length, i, wsEnd, lastNewline);
    }

    /// <summary>\s*[\r\n]+ then \s+(?!\S) then \s+, on the whitespace run [start, wsEnd).</summary>
    internal static int WhitespaceEnd(int length, int start, int wsEnd, int lastNewline)
    {
        if (lastNewline >= 0)
        {
            return lastNewline + 1;
        }

        if (wsEnd == length || wsEnd - start < 2)
        {
            return wsEnd;
        }

        return wsEnd - 1;
    }

    private static int MatchContraction(ReadOnlySpan<char> s, int i)
    {
        char a = s[i + 1];
        switch (a)
        {
            case 's' or 'S' or '\u017F' or 't' or 'T' or 'm' or 'M' or 'd' or 'D':
                return i + 2;
            case 'r' or 'R' or 'v' or 'V':
                return i + 2 < s.Length && s[i + 2] is 'e' or 'E' ? i + 3 : 0;
            case 'l' or 'L':
                return i + 2 < s.Length && s[i + 2] is 'l' or 'L' ? i + 3 : 0;
            default:
                return 0;
        }
    }

    internal static bool IsOther(int cp) => !CodePoints.IsWhiteSpace(cp) && !CodePoints.IsLetter(cp) && !CodePoints.IsNumber(cp);

    internal static int SkipLetters(ReadOnlySpan<char> s, int j)
    {
        while (j < s.Length)
        {
            char ch = s[j];
            if (ch < 128)
            {
                if (!char.IsAsciiLetter(ch))
                {
                    break;
                }

                j++;
                continue;
            }

            int cp = CodePoints.Read(s, j, out int w);
            if (!CodePoints.IsLetter(cp))
            {
                break;
            }

            j += w;
        }

        return j;
    }

    internal static int SkipNumbers(ReadOnlySpan<char> s, int j)
    {
        while (j < s.Length)
        {
            int cp = CodePoints.Read(s, j, out int w);
            if (!CodePoints.IsNumber(cp))
            {
                break;
            }

            j += w;
        }

        return j;
    }

    internal static int SkipOthers(ReadOnlySpan<char> s, int j)
    {
        while (j < s.Length)
        {
            int cp = CodePoints.Read(s, j, out int w);
            if (!IsOther(cp))
            {
                break;
            }

            j += w;
        }

        return j;
    }
}
