using System.Text;

namespace LlmServe.Tokenization.Tests.Loading;

public sealed class LoadingTests
{
    private const string MinimalModel = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [[\"a\", \"b\"]]}";

    [Theory]
    [InlineData("\"model\": {\"type\": \"Unigram\", \"vocab\": []}", "Unigram")]
    [InlineData(MinimalModel + ", \"normalizer\": {\"type\": \"BertNormalizer\"}", "BertNormalizer")]
    [InlineData(MinimalModel + ", \"pre_tokenizer\": {\"type\": \"Whitespace\"}", "Whitespace")]
    [InlineData(MinimalModel + ", \"decoder\": {\"type\": \"WordPiece\"}", "WordPiece")]
    [InlineData(MinimalModel + ", \"post_processor\": {\"type\": \"Mystery\"}", "Mystery")]
    [InlineData("\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}", "a b")]
    [InlineData(MinimalModel + ", \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\p{L}++\"}, \"behavior\": \"Isolated\"}", "possessive")]
    public void Unsupported_or_inconsistent_components_fail_with_their_name(string body, string named)
    {
        var e = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.FromJson(Encoding.UTF8.GetBytes("{" + body + "}")));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_and_missing_files_are_typed_errors()
    {
        Assert.Throws<TokenizerLoadException>(() => HfTokenizer.FromJson("{\"model\": "u8));
        Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load("/nonexistent/tokenizer.json"));
        Assert.Throws<TokenizerLoadException>(() => HfTokenizer.LoadFromDirectory("/nonexistent"));
        Assert.Throws<TokenizerLoadException>(() => TokenizerConfig.Load("/nonexistent/tokenizer_config.json"));
    }

    [Fact]
    public void A_minimal_bpe_without_pre_tokenizer_or_decoder_round_trips()
    {
        HfTokenizer t = HfTokenizer.FromJson(Encoding.UTF8.GetBytes("{" + MinimalModel + "}"));
        Assert.Equal([2, 0], t.Encode("aba"));
        Assert.Equal("ab a", t.Decode([2, 0]));
        Assert.Equal(3, t.VocabSize);
    }

    [Fact]
    public void Api_lookups_agree_with_the_vocabulary()
    {
        HfTokenizer t = TokenizerFiles.Get("llama3_1");
        Assert.Equal(128256, t.VocabSize);
        Assert.Equal(128009, t.TokenToId("<|eot_id|>"));
        Assert.Equal("<|eot_id|>", t.IdToToken(128009));
        Assert.True(t.IsSpecial(128009));
        Assert.False(t.IsSpecial(t.TokenToId("hello")!.Value));
        Assert.Null(t.IdToToken(-1));
        Assert.Null(t.IdToToken(t.VocabSize));
        Assert.Null(t.TokenToId("no such token at all"));
        Assert.Equal([128000], t.PrefixSpecialIds);
        Assert.Empty(t.SuffixSpecialIds);
        Assert.Equal("", t.Decode([-5, 999_999]));
    }

    [Fact]
    public void Span_encode_reports_the_needed_size_when_the_buffer_is_too_small()
    {
        HfTokenizer t = TokenizerFiles.Get("qwen3");
        int[] expected = t.Encode("Hello world, this is a test.");
        Span<int> small = stackalloc int[2];
        Assert.False(t.TryEncode("Hello world, this is a test.", small, out int needed));
        Assert.Equal(expected.Length, needed);
        Span<int> big = stackalloc int[64];
        Assert.True(t.TryEncode("Hello world, this is a test.", big, out int written));
        Assert.Equal(expected, big[..written].ToArray());
        Assert.Equal(expected.Length, t.CountTokens("Hello world, this is a test."));
    }

    [Fact]
    public void Lone_surrogates_encode_as_replacement_characters()
    {
        HfTokenizer t = TokenizerFiles.Get("llama3_1");
        Assert.Equal(t.Encode("a\uFFFDb"), t.Encode("a\uD800b"));
    }
}
