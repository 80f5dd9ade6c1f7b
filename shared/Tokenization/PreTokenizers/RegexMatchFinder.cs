using System.Text.RegularExpressions;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>
/// Any other Split regex, run by .NET. .NET classes work on UTF-16 code units, so a pattern whose classes
/// must see astral code points (e.g. \p{L} on U+1D400) can differ from Oniguruma; the patterns the
/// supported models ship are handled by the exact hand-written finders instead.
/// </summary>
internal sealed class RegexMatchFinder(Regex regex) : IMatchFinder
{
    public void FindMatches(ReadOnlySpan<char> text, RangeList matches)
    {
        foreach (ValueMatch m in regex.EnumerateMatches(text))
        {
            matches.Add(m.Index, m.Index + m.Length);
        }
    }
}
