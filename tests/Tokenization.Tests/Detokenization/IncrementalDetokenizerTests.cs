using System.Text;
using LlmServe.Tokenization.Tests.Golden;

namespace LlmServe.Tokenization.Tests.Detokenization;

/// <summary>Property tests: streamed deltas concatenate to the full decode, and never split a character.</summary>
public sealed class IncrementalDetokenizerTests
{
    public static TheoryData<string> Families => new(TokenizerFiles.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void Deltas_of_encoded_corpus_strings_concatenate_to_the_full_decode(string family)
    {
        HfTokenizer tokenizer = TokenizerFiles.Get(family);
        IReadOnlyList<string> corpus = GoldenFixture.LoadCorpusStrings();
        var random = new Random(7);
        for (int i = 0; i < corpus.Count; i += 3)
        {
            int[] ids = tokenizer.Encode(corpus[i], addSpecialTokens: true);
            foreach (bool skip in new[] { false, true })
            {
                string expected = tokenizer.Decode(ids, skip);
                (string streamed, bool sawReplacement) = Stream(tokenizer, ids, skip, random, chunked: i % 2 == 1);
                Assert.True(expected == streamed, $"{family} #{i} skip={skip}: streamed text differs from Decode");
                if (!expected.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    Assert.False(sawReplacement, $"{family} #{i}: a delta contained U+FFFD from a split character");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Deltas_of_random_id_sequences_concatenate_to_the_full_decode(string family)
    {
        HfTokenizer tokenizer = TokenizerFiles.Get(family);
        var random = new Random(family.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        int[] byteTokens = [.. Enumerable.Range(0, 256).Select(b => tokenizer.TokenToId($"<0x{b:X2}>") ?? -1).Where(id => id >= 0)];
        for (int n = 0; n < 400; n++)
        {
            int length = random.Next(1, 40);
            int[] ids = new int[length];
            for (int k = 0; k < length; k++)
            {
                double r = random.NextDouble();
                ids[k] = r < 0.3 && byteTokens.Length > 0 ? byteTokens[random.Next(byteTokens.Length)]
                    : r < 0.45 ? random.Next(0, 400)
                    : r < 0.5 ? tokenizer.VocabSize - 1 - random.Next(0, 300)
                    : random.Next(tokenizer.VocabSize);
            }

            foreach (bool skip in new[] { false, true })
            {
                string expected = tokenizer.Decode(ids, skip);
                (string streamed, _) = Stream(tokenizer, ids, skip, random, chunked: n % 2 == 0);
                Assert.True(expected == streamed, $"{family} ids [{string.Join(',', ids)}] skip={skip}: '{streamed}' != '{expected}'");
            }
        }
    }

    [Fact]
    public void A_multibyte_character_split_over_byte_level_tokens_is_held_until_complete()
    {
        HfTokenizer tokenizer = TokenizerFiles.Get("llama3_1");
        int[] ids = tokenizer.Encode("😀", addSpecialTokens: false);
        Assert.True(ids.Length > 1, "the emoji should need several byte-level tokens");
        var detok = new IncrementalDetokenizer(tokenizer);
        for (int i = 0; i < ids.Length - 1; i++)
        {
            Assert.Equal(string.Empty, detok.Add(ids[i]));
        }

        Assert.Equal("😀", detok.Add(ids[^1]));
        Assert.Equal(string.Empty, detok.Flush());
    }

    [Fact]
    public void Byte_fallback_runs_are_held_until_the_run_ends()
    {
        HfTokenizer tokenizer = TokenizerFiles.Get("llama2");
        int[] bytes = [.. "\u00E9"u8.ToArray().Select(b => tokenizer.TokenToId($"<0x{b:X2}>")!.Value)];
        int hello = tokenizer.Encode("hi", addSpecialTokens: false)[0];
        var detok = new IncrementalDetokenizer(tokenizer);
        var sb = new StringBuilder();
        sb.Append(detok.Add(hello));
        foreach (int b in bytes)
        {
            Assert.Equal(string.Empty, detok.Add(b));
        }

        sb.Append(detok.Add(hello));
        sb.Append(detok.Flush());
        Assert.Equal(tokenizer.Decode([hello, .. bytes, hello]), sb.ToString());
    }

    [Fact]
    public void Sentencepiece_leading_space_is_kept_between_deltas_and_stripped_at_the_start()
    {
        HfTokenizer tokenizer = TokenizerFiles.Get("llama2");
        int[] ids = tokenizer.Encode("Hello big world", addSpecialTokens: false);
        var detok = new IncrementalDetokenizer(tokenizer);
        string[] deltas = [.. ids.Select(detok.Add)];
        Assert.Equal("Hello", deltas[0]);
        Assert.Equal("Hello big world", string.Concat(deltas) + detok.Flush());
    }

    [Fact]
    public void Skip_special_tokens_drops_special_ids_but_keeps_text()
    {
        HfTokenizer tokenizer = TokenizerFiles.Get("llama3_1");
        int eot = tokenizer.TokenToId("<|eot_id|>")!.Value;
        int[] ids = [.. tokenizer.Encode("Hi there", addSpecialTokens: true), eot];
        var skipping = new IncrementalDetokenizer(tokenizer, skipSpecialTokens: true);
        var keeping = new IncrementalDetokenizer(tokenizer);
        string skipped = string.Concat(ids.Select(skipping.Add)) + skipping.Flush();
        string kept = string.Concat(ids.Select(keeping.Add)) + keeping.Flush();
        Assert.Equal("Hi there", skipped);
        Assert.Equal("<|begin_of_text|>Hi there<|eot_id|>", kept);
    }

    private static (string Text, bool SawReplacement) Stream(HfTokenizer tokenizer, int[] ids, bool skip, Random random, bool chunked)
    {
        var detok = new IncrementalDetokenizer(tokenizer, skip);
        var sb = new StringBuilder();
        bool sawReplacement = false;
        int i = 0;
        while (i < ids.Length)
        {
            int n = chunked ? Math.Min(random.Next(1, 4), ids.Length - i) : 1;
            string delta = detok.Add(ids.AsSpan(i, n));
            sawReplacement |= delta.Contains('\uFFFD', StringComparison.Ordinal);
            sb.Append(delta);
            i += n;
        }

        string rest = detok.Flush();
        sawReplacement |= rest.Contains('\uFFFD', StringComparison.Ordinal);
        sb.Append(rest);
        return (sb.ToString(), sawReplacement);
    }
}
