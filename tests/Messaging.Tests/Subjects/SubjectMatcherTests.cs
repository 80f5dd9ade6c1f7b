using LlmServe.Messaging.Subjects;

namespace LlmServe.Messaging.Tests.Subjects;

public sealed class SubjectMatcherTests
{
    [Theory]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b", "a.c", false)]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*", "a.b.c", false)]
    [InlineData("a.*", "a", false)]
    [InlineData("*.b", "a.b", true)]
    [InlineData("a.>", "a.b", true)]
    [InlineData("a.>", "a.b.c.d", true)]
    [InlineData("a.>", "a", false)]
    [InlineData(">", "anything.at.all", true)]
    [InlineData("a.*.c", "a.b.c", true)]
    [InlineData("a.*.c", "a.b.d", false)]
    [InlineData("a.b.c", "a.b", false)]
    [InlineData("a.b", "a.b.c", false)]
    [InlineData("llm.*.step", "llm.qwen.step", true)]
    public void Matches_like_nats(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, SubjectMatcher.IsMatch(pattern, subject));
}
