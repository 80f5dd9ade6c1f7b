using System.Buffers;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.AddedTokens;

/// <summary>
/// Splits text on added tokens, leftmost-longest like Hugging Face's Aho-Corasick pass, applying
/// single_word / lstrip / rstrip.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<long, int> _edges = [];
    private readonly List<AddedToken?> _terminal = [null];
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<(string Content, AddedToken Token)> tokens)
    {
        var first = new HashSet<char>();
        foreach ((string content, AddedToken token) in tokens)
        {
            if (content.Length == 0)
            {
                continue;
            }

            first.Add(content[0]);
            int node = 0;
            foreach (char c in content)
            {
                long key = ((long)node << 16) | c;
                if (!_edges.TryGetValue(key, out int child))
                {
                    child = _terminal.Count;
                    _terminal.Add(null);
                    _edges[key] = child;
                }

                node = child;
            }

            _terminal[node] ??= token;
        }

        _firstChars = SearchValues.Create([.. first]);
    }

    /// <summary>Fills <paramref name="segments"/> with the added tokens and the text between them.</summary>
    public void Split(ReadOnlySpan<char> text, List<TextSegment> segments)
    {
        segments.Clear();
        int emitted = 0;
        int i = 0;
        while (i < text.Length)
        {
            int found = text[i..].IndexOfAny(_firstChars);
            if (found < 0)
            {
                break;
            }

            i += found;
            (int end, AddedToken? token) = LongestAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }

            int start = i;
            if (token.SingleWord && (IsWordBefore(text, start) || IsWordAfter(text, end)))
            {
                i = end;
                continue;
            }

            if (token.LeftStrip)
            {
                while (start > emitted && CodePoints.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (token.RightStrip)
            {
                while (end < text.Length && CodePoints.IsWhiteSpace(text[end]))
                {
                    end++;
                }
            }

            if (start > emitted)
            {
                segments.Add(new TextSegment(emitted, start, -1));
            }

            segments.Add(new TextSegment(start, end, token.Id));
            emitted = end;
            i = end;
        }

        if (emitted < text.Length)
        {
            segments.Add(new TextSegment(emitted, text.Length, -1));
        }
    }

    private (int End, AddedToken? Token) LongestAt(ReadOnlySpan<char> text, int start)
    {
        int node = 0;
        int bestEnd = -1;
        AddedToken? best = null;
        for (int j = start; j < text.Length; j++)
        {
            if (!_edges.TryGetValue(((long)node << 16) | text[j], out node))
            {
                break;
            }

            if (_terminal[node] is { } t)
            {
                best = t;
                bestEnd = j + 1;
            }
        }

        return (bestEnd, best);
    }

    private static bool IsWordBefore(ReadOnlySpan<char> text, int start)
    {
        if (start == 0)
        {
            return false;
        }

        int i = char.IsLowSurrogate(text[start - 1]) && start >= 2 ? start - 2 : start - 1;
        int cp = CodePoints.Read(text, i, out _);
        return CodePoints.IsLetter(cp) || CodePoints.IsNumber(cp);
    }

    private static bool IsWordAfter(ReadOnlySpan<char> text, int end)
    {
        if (end >= text.Length)
        {
            return false;
        }

        int cp = CodePoints.Read(text, end, out _);
        return CodePoints.IsLetter(cp) || CodePoints.IsNumber(cp);
    }
}
