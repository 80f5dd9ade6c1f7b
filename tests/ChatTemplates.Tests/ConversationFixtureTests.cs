using System.Text.Json;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>Real model templates (Llama 2/3.1/3.2, Mistral, Qwen 3, Gemma 3) over many conversations, against Jinja2's output.</summary>
public sealed class ConversationFixtureTests
{
    public static TheoryData<string> Cases() => Fixtures.ConversationNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Json_variables_render_byte_identical_to_jinja2(string name)
    {
        JsonElement testCase = Fixtures.Conversation(name);
        ChatTemplate template = ChatTemplate.Parse(Fixtures.TemplateSource(testCase.GetProperty("template").GetString()!));
        Dictionary<string, object?> variables = Fixtures.Variables(testCase);
        ExpectedOutcome.Check(testCase, () => template.Render(variables, FixedClock.FixtureTime));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Typed_input_renders_byte_identical_to_jinja2(string name)
    {
        JsonElement testCase = Fixtures.Conversation(name);
        ChatTemplate template = ChatTemplate.Parse(Fixtures.TemplateSource(testCase.GetProperty("template").GetString()!));
        ChatTemplateInput input = TypedInput.From(testCase.GetProperty("variables"));
        ExpectedOutcome.Check(testCase, () => template.Render(input));
    }
}
