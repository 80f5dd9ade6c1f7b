using System.Text.Json;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>One small template per language feature (whitespace control, loops, filters, tests, errors), against Jinja2's output.</summary>
public sealed class FeatureFixtureTests
{
    public static TheoryData<string> Cases() => Fixtures.FeatureNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Feature_renders_like_jinja2(string name)
    {
        JsonElement testCase = Fixtures.Feature(name);
        string source = testCase.GetProperty("template").GetString()!;
        Dictionary<string, object?> variables = Fixtures.Variables(testCase);
        ExpectedOutcome.Check(testCase, () => ChatTemplate.Parse(source).Render(variables, FixedClock.FixtureTime));
    }
}
