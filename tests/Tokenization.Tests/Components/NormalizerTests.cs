using System.Text;
using LlmServe.Tokenization.Normalizers;

namespace LlmServe.Tokenization.Tests.Components;

/// <summary>Our Unicode normalization (the runtime's is a no-op in invariant mode) against node's String.normalize.</summary>
public sealed class NormalizerTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9", "e\u0301", "\u00E9", "e\u0301")]
    [InlineData("\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("\uAC01", "\uAC01", "\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("ﬁ①½", "ﬁ①½", "ﬁ①½", "fi11⁄2", "fi11⁄2")]
    [InlineData("\u00C5\u212B", "\u00C5\u00C5", "A\u030AA\u030A", "\u00C5\u00C5", "A\u030AA\u030A")]
    [InlineData("\u0958", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C")]
    [InlineData("a\u0328\u0301\u0300", "\u0105\u0301\u0300", "a\u0328\u0301\u0300", "\u0105\u0301\u0300", "a\u0328\u0301\u0300")]
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323", "\u017F\u0323\u0307", "\u1E69", "s\u0323\u0307")]
    [InlineData("\u01C4", "\u01C4", "\u01C4", "D\u017D", "DZ\u030C")]
    public void Unicode_forms_match_node(string input, string nfc, string nfd, string nfkc, string nfkd)
    {
        Assert.Equal(nfc, new UnicodeFormNormalizer(NormalizationForm.FormC).Normalize(input));
        Assert.Equal(nfd, new UnicodeFormNormalizer(NormalizationForm.FormD).Normalize(input));
        Assert.Equal(nfkc, new UnicodeFormNormalizer(NormalizationForm.FormKC).Normalize(input));
        Assert.Equal(nfkd, new UnicodeFormNormalizer(NormalizationForm.FormKD).Normalize(input));
    }

    [Fact]
    public void Ascii_text_is_returned_as_the_same_instance()
    {
        string text = "plain ascii text";
        Assert.Same(text, new UnicodeFormNormalizer(NormalizationForm.FormC).Normalize(text));
    }

    [Fact]
    public void Prepend_replace_strip_and_sequence_compose()
    {
        var sequence = new SequenceNormalizer([new StripNormalizer(left: true, right: true), new PrependNormalizer("▁"), new ReplaceNormalizer(" ", null, "▁")]);
        Assert.Equal("▁a▁b", sequence.Normalize("  a b\u3000"));
        Assert.Equal(string.Empty, sequence.Normalize("   "));
        Assert.Equal("abc", new LowercaseNormalizer().Normalize("AbC"));
    }
}
