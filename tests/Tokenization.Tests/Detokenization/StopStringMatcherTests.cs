using System.Text;

namespace LlmServe.Tokenization.Tests.Detokenization;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void A_stop_string_split_across_deltas_is_caught_and_nothing_after_it_is_released()
    {
        var m = new StopStringMatcher(["STOP"]);
        Assert.Equal("Hello wor", m.Push("Hello wor"));
        Assert.Equal("ld! ", m.Push("ld! ST"));
        Assert.Equal(2, m.HeldLength);
        Assert.Equal(string.Empty, m.Push("O"));
        Assert.Equal(string.Empty, m.Push("P and more"));
        Assert.True(m.IsStopped);
        Assert.Equal("STOP", m.MatchedStopString);
        Assert.Equal(string.Empty, m.Push("later text"));
        Assert.Equal(string.Empty, m.Flush());
    }

    [Fact]
    public void A_partial_match_that_does_not_complete_is_released()
    {
        var m = new StopStringMatcher(["STOP"]);
        Assert.Equal("a ", m.Push("a STO"));
        Assert.Equal("STORM", m.Push("RM"));
        Assert.Equal("x", m.Push("x"));
        Assert.Equal(string.Empty, m.Push("S"));
        Assert.Equal("S", m.Flush());
        Assert.False(m.IsStopped);
    }

    [Fact]
    public void Include_stop_string_releases_it_and_the_first_stop_to_complete_wins()
    {
        var m = new StopStringMatcher(["world", "lo w", "o wor"], includeStopString: true);
        Assert.Equal("hello w", m.Push("hello world"));
        Assert.Equal("lo w", m.MatchedStopString);
        var n = new StopStringMatcher(["abcd", "bc"]);
        Assert.Equal("a", n.Push("abcd"));
        Assert.Equal("bc", n.MatchedStopString);
    }

    [Fact]
    public void Without_stop_strings_text_passes_through()
    {
        var m = new StopStringMatcher(["", ""]);
        Assert.Equal("abc", m.Push("abc"));
        Assert.Equal(0, m.HeldLength);
    }

    [Fact]
    public void Random_splits_release_exactly_the_text_before_the_first_stop()
    {
        var random = new Random(11);
        const string alphabet = "ab c\n<|>é😀";
        for (int n = 0; n < 3000; n++)
        {
            string text = RandomText(random, alphabet, random.Next(0, 60));
            string[] stops = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => StopFrom(random, text, alphabet))];
            bool include = random.Next(2) == 0;
            int first = -1;
            string? matched = null;
            foreach (string s in stops)
            {
                int i = text.IndexOf(s, StringComparison.Ordinal);
                if (i >= 0 && (first < 0 || i + s.Length < first + matched!.Length || (i + s.Length == first + matched.Length && i < first)))
                {
                    first = i;
                    matched = s;
                }
            }

            var m = new StopStringMatcher(stops, include);
            var released = new StringBuilder();
            int pos = 0;
            while (pos < text.Length)
            {
                int len = Math.Min(random.Next(1, 6), text.Length - pos);
                if (char.IsHighSurrogate(text[pos + len - 1]) && pos + len < text.Length)
                {
                    len++;
                }

                released.Append(m.Push(text.Substring(pos, len)));
                pos += len;
                string soFar = released.ToString();
                string allowed = first >= 0 ? text[..(first + (include ? matched!.Length : 0))] : text;
                Assert.True(allowed.StartsWith(soFar, StringComparison.Ordinal), $"released past the stop: '{soFar}' for '{text}' stops [{string.Join("|", stops)}]");
            }

            released.Append(m.Flush());
            string expected = first >= 0 ? text[..(first + (include ? matched!.Length : 0))] : text;
            Assert.Equal(expected, released.ToString());
            Assert.Equal(first >= 0, m.IsStopped);
        }
    }

    private static string RandomText(Random random, string alphabet, int length)
    {
        var sb = new StringBuilder();
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(alphabet);
        var parts = new List<string>();
        while (elements.MoveNext())
        {
            parts.Add((string)elements.Current);
        }

        for (int i = 0; i < length; i++)
        {
            sb.Append(parts[random.Next(parts.Count)]);
        }

        return sb.ToString();
    }

    private static string StopFrom(Random random, string text, string alphabet)
    {
        if (text.Length > 2 && random.Next(3) > 0)
        {
            int start = random.Next(text.Length - 1);
            if (char.IsLowSurrogate(text[start]))
            {
                start--;
            }

            int len = Math.Min(random.Next(1, 5), text.Length - start);
            if (char.IsHighSurrogate(text[start + len - 1]) && start + len < text.Length)
            {
                len++;
            }

            return text.Substring(start, len);
        }

        return RandomText(random, alphabet, random.Next(1, 4));
    }
}
