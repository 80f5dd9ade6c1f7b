using System.Text;

namespace LlmServe.Tokenization.Tests.Golden;

/// <summary>Our tokenizer against Hugging Face tokenizers' own output, for every corpus string × family.</summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Families => new(TokenizerFiles.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void Encode_matches_hugging_face_for_every_corpus_string(string family)
    {
        HfTokenizer tokenizer = TokenizerFiles.Get(family);
        GoldenFixture golden = GoldenFixture.Load(family);
        Assert.True(golden.Corpus.Count >= 2000, "corpus too small");
        var failures = new StringBuilder();
        int failed = 0;
        for (int i = 0; i < golden.Corpus.Count; i++)
        {
            string text = golden.Corpus[i];
            GoldenEncoding expected = golden.Encodings[i];
            int[] plain = tokenizer.Encode(text, addSpecialTokens: false);
            int[] special = tokenizer.Encode(text, addSpecialTokens: true);
            if (!plain.AsSpan().SequenceEqual(expected.WithoutSpecialTokens) || !special.AsSpan().SequenceEqual(expected.WithSpecialTokens))
            {
                if (failed++ < 10)
                {
                    failures.AppendLine($"#{i} {Escape(text)}\n  expected {string.Join(',', expected.WithoutSpecialTokens)}\n  actual   {string.Join(',', plain)}\n  special expected {string.Join(',', expected.WithSpecialTokens.Take(5))} actual {string.Join(',', special.Take(5))}");
                }
            }
        }

        Assert.True(failed == 0, $"{family}: {failed}/{golden.Corpus.Count} strings encode differently\n{failures}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Decode_matches_hugging_face_for_every_corpus_string(string family)
    {
        HfTokenizer tokenizer = TokenizerFiles.Get(family);
        GoldenFixture golden = GoldenFixture.Load(family);
        var failures = new StringBuilder();
        int failed = 0;
        for (int i = 0; i < golden.Corpus.Count; i++)
        {
            GoldenEncoding expected = golden.Encodings[i];
            string decoded = tokenizer.Decode(expected.WithoutSpecialTokens);
            string decodedSkip = tokenizer.Decode(expected.WithSpecialTokens, skipSpecialTokens: true);
            if (decoded != expected.Decoded || decodedSkip != expected.DecodedSkipSpecial)
            {
                if (failed++ < 10)
                {
                    failures.AppendLine($"#{i} expected {Escape(expected.Decoded)} / {Escape(expected.DecodedSkipSpecial)}\n   actual {Escape(decoded)} / {Escape(decodedSkip)}");
                }
            }
        }

        Assert.True(failed == 0, $"{family}: {failed} decodes differ\n{failures}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Decode_of_random_ids_matches_hugging_face(string family)
    {
        HfTokenizer tokenizer = TokenizerFiles.Get(family);
        GoldenFixture golden = GoldenFixture.Load(family);
        Assert.Equal(golden.VocabSize, tokenizer.VocabSize);
        var failures = new StringBuilder();
        int failed = 0;
        foreach ((int[] ids, string expected, string expectedSkip) in golden.RandomDecodes)
        {
            string decoded = tokenizer.Decode(ids);
            string decodedSkip = tokenizer.Decode(ids, skipSpecialTokens: true);
            if (decoded != expected || decodedSkip != expectedSkip)
            {
                if (failed++ < 10)
                {
                    failures.AppendLine($"[{string.Join(',', ids)}] expected {Escape(expected)} actual {Escape(decoded)}; skip: {Escape(expectedSkip)} vs {Escape(decodedSkip)}");
                }
            }
        }

        Assert.True(failed == 0, $"{family}: {failed} random decodes differ\n{failures}");
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s.Length > 120 ? s[..120] : s)
        {
            sb.Append(c < 32 || c > 126 ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return sb.Append('"').ToString();
    }
}
