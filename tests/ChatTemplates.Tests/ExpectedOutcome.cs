using System.Text.Json;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>Asserts a render matches a fixture case: same text, or the same kind of failure (and message for raise_exception).</summary>
internal static class ExpectedOutcome
{
    public static void Check(JsonElement testCase, Func<string> render)
    {
        if (testCase.TryGetProperty("expected", out JsonElement expected))
        {
            string actual = render();
            Assert.Equal(expected.GetString(), actual);
            return;
        }

        JsonElement error = testCase.GetProperty("error");
        string kind = error.GetProperty("kind").GetString()!;
        string message = error.GetProperty("message").GetString()!;
        TemplateException ex = Assert.Throws<TemplateException>(() => render());
        switch (kind)
        {
            case "raised":
                Assert.Equal(TemplateErrorKind.Raised, ex.Kind);
                Assert.True(ex.IsClientError);
                Assert.Equal(message, ex.Message);
                break;
            case "syntax":
                Assert.Equal(TemplateErrorKind.Syntax, ex.Kind);
                if (error.GetProperty("line").ValueKind == JsonValueKind.Number)
                {
                    Assert.Equal(error.GetProperty("line").GetInt32(), ex.Line);
                }

                break;
            default:
                Assert.Equal(TemplateErrorKind.Runtime, ex.Kind);
                Assert.False(ex.IsClientError);
                Assert.Equal(message, ex.Message);
                break;
        }
    }
}
