namespace LlmServe.Tokenization.Tests.Components;

/// <summary>
/// Small tokenizer.json files exercising what the four model families do not (continuing_subword_prefix,
/// unk + fuse_unk, Lowercase, Split Removed, Metaspace with prepend_scheme "first", byte_fallback without a
/// ByteFallback decoder, no decoder). Expected values are Hugging Face's (synthetic/make_synthetic.js).
/// </summary>
public sealed class SyntheticTokenizerTests
{
    [Theory]
    [InlineData("abc ab xyz a", new[] { 8, 7, 9, 0, 1 }, "abc ab x <unk> a")]
    [InlineData("ABC", new[] { 8 }, "abc")]
    [InlineData("axxb", new[] { 1, 0, 5 }, "a <unk> ##b")]
    [InlineData("  b  abcx ", new[] { 2, 8, 0 }, "b abc <unk>")]
    [InlineData("cab", new[] { 3, 4, 5 }, "c ##a ##b")]
    public void Subword_prefix_unk_and_lowercase_match_hugging_face(string text, int[] ids, string decoded)
    {
        HfTokenizer tokenizer = HfTokenizer.Load(TokenizerFiles.FixturePath("synthetic/bpe_prefix_unk.json"));
        Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(decoded, tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData("hello héllo", new[] { 267, 263, 196, 170, 266 }, "hello h<0xC3><0xA9>llo")]
    [InlineData("hi  hello", new[] { 268, 257, 267 }, "hi  hello")]
    [InlineData(" hi", new[] { 268 }, "hi")]
    [InlineData("hé", new[] { 263, 196, 170 }, "h<0xC3><0xA9>")]
    public void Metaspace_and_byte_fallback_match_hugging_face(string text, int[] ids, string decoded)
    {
        HfTokenizer tokenizer = HfTokenizer.Load(TokenizerFiles.FixturePath("synthetic/metaspace_byte_fallback.json"));
        Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(decoded, tokenizer.Decode(ids));
    }

    [Fact]
    public void Metaspace_decoder_drops_replacement_chars_of_the_first_token_only()
    {
        HfTokenizer tokenizer = HfTokenizer.Load(TokenizerFiles.FixturePath("synthetic/metaspace_byte_fallback.json"));
        Assert.Equal("ll llo", tokenizer.Decode([265, 257, 266]));
        Assert.Equal(" llo", tokenizer.Decode([257, 257, 266]));
    }
}
