namespace LlmServe.Messaging.Tests;

public class SmokeTests
{
    [Fact]
    public void Adds() => Assert.Equal(4, 2 + 2);
}
