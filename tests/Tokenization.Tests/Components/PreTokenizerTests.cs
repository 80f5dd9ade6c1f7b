using LlmServe.Tokenization.PreTokenizers;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.Tests.Components;

/// <summary>Pre-tokenizers alone; expected pieces are what Hugging Face tokenizers 0.23.2 returns (synthetic/make_synthetic.js).</summary>
public sealed class PreTokenizerTests
{
    [Theory]
    [InlineData("Removed", false, new[] { "a", "b", "c" })]
    [InlineData("Removed", true, new[] { " ", " ", " " })]
    [InlineData("Isolated", false, new[] { "a", " ", " ", "b", " ", "c" })]
    [InlineData("MergedWithPrevious", false, new[] { "a ", " ", "b ", "c" })]
    [InlineData("MergedWithPrevious", true, new[] { "a", " ", " b", " c" })]
    [InlineData("MergedWithNext", false, new[] { "a", " ", " b", " c" })]
    [InlineData("MergedWithNext", true, new[] { "a ", " ", "b ", "c" })]
    [InlineData("Contiguous", false, new[] { "a", "  ", "b", " ", "c" })]
    [InlineData("Contiguous", true, new[] { "a", "  ", "b", " ", "c" })]
    public void Split_behaviors_match_hugging_face(string behavior, bool invert, string[] expected)
    {
        var split = new SplitPreTokenizer(new LiteralMatchFinder(" "), Enum.Parse<SplitBehavior>(behavior), invert);
        Assert.Equal(expected, Run(split, "a  b c"));
    }

    [Fact]
    public void Metaspace_replaces_prepends_and_splits_before_each_replacement()
    {
        Assert.Equal(["▁Hello", "▁", "▁world"], Run(new MetaspacePreTokenizer('▁', PrependScheme.Always, split: true), "Hello  world"));
        Assert.Equal(["Hello▁▁world"], Run(new MetaspacePreTokenizer('▁', PrependScheme.Never, split: false), "Hello  world"));
    }

    [Fact]
    public void Metaspace_first_scheme_prepends_only_at_the_start_of_the_input()
    {
        var meta = new MetaspacePreTokenizer('▁', PrependScheme.First, split: true);
        Assert.Equal(["▁hi"], Run(meta, "hi", atInputStart: true));
        Assert.Equal(["hi"], Run(meta, "hi", atInputStart: false));
    }

    [Fact]
    public void Digits_isolates_or_groups_ascii_digits()
    {
        Assert.Equal(["ab", "1", "2", "3", "c", "4", "5"], Run(new SplitPreTokenizer(new AsciiDigitMatchFinder(), SplitBehavior.Isolated, false), "ab123c45"));
        Assert.Equal(["ab", "123", "c", "45"], Run(new SplitPreTokenizer(new AsciiDigitMatchFinder(), SplitBehavior.Contiguous, false), "ab123c45"));
    }

    [Fact]
    public void Byte_level_adds_prefix_space_splits_with_the_gpt2_regex_and_maps_bytes()
    {
        Assert.Equal(["ĠHello", "Ġ", "Ġworld", "'s"], Run(new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: true), "Hello  world's"));
        Assert.Equal(["Ã©"], Run(new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false), "é"));
    }

    [Theory]
    [InlineData("😀abc", new[] { "😀abc" })]
    [InlineData("'ſa", new[] { "'ſ", "a" })]
    [InlineData("'LLa x'S", new[] { "'LL", "a", " x", "'S" })]
    [InlineData("1𝟎𝟏𝟐3", new[] { "1𝟎𝟏", "𝟐3" })]
    [InlineData("a\u0085\u0085b", new[] { "a", "\u0085", "\u0085b" })]
    [InlineData("a\u001C\u001Cb", new[] { "a", "\u001C\u001C", "b" })]
    [InlineData("x  \n\n  y", new[] { "x", "  \n\n", " ", " y" })]
    [InlineData("hi!!\r\n\tthere", new[] { "hi", "!!\r\n", "\tthere" })]
    public void Llama3_split_pattern_works_on_code_points_like_oniguruma(string text, string[] expected)
    {
        Assert.Equal(expected, Run(new SplitPreTokenizer(new Gpt4StyleMatchFinder(3), SplitBehavior.Isolated, false), text));
    }

    [Fact]
    public void Hand_compiled_llama3_pattern_agrees_with_dotnet_regex_on_bmp_text()
    {
        var regex = new System.Text.RegularExpressions.Regex(Gpt4StyleMatchFinder.Llama3Pattern.Replace("(?i:'s|", "(?i:'s|'ſ|", StringComparison.Ordinal));
        var hand = new SplitPreTokenizer(new Gpt4StyleMatchFinder(3), SplitBehavior.Isolated, false);
        var dotnet = new SplitPreTokenizer(new RegexMatchFinder(regex), SplitBehavior.Isolated, false);
        var random = new Random(5);
        const string alphabet = "aZé中 \t\n\r'sStT1234٣.,!?-_\u00A0\u3000\u0301";
        for (int n = 0; n < 2000; n++)
        {
            string text = new([.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            Assert.Equal(Run(dotnet, text), Run(hand, text));
        }
    }

    private static string[] Run(IPreTokenizer preTokenizer, string text, bool atInputStart = true)
    {
        var source = new PieceBuffer();
        source.Add(text, atInputStart);
        var destination = new PieceBuffer();
        preTokenizer.PreTokenize(source, destination, new PreTokenizerScratch());
        return [.. Enumerable.Range(0, destination.Count).Select(i => destination[i].ToString())];
    }
}
