using System.Text.Json;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>Reads the JSON written by tests/fixtures/chat-templates/make_expected.py (Jinja2's own renders).</summary>
internal static class Fixtures
{
    private static readonly Lazy<JsonElement> TemplatesJson = new(() => Load("templates.json"));
    private static readonly Lazy<Dictionary<string, JsonElement>> ConversationCases = new(() => Cases("conversations.json"));
    private static readonly Lazy<Dictionary<string, JsonElement>> FeatureCases = new(() => Cases("features.json"));

    public static JsonElement Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", file);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    private static Dictionary<string, JsonElement> Cases(string file) =>
        Load(file).GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, StringComparer.Ordinal);

    public static string TemplateSource(string name) => TemplatesJson.Value.GetProperty(name).GetProperty("template").GetString()!;

    public static JsonElement Conversation(string name) => ConversationCases.Value[name];

    public static JsonElement Feature(string name) => FeatureCases.Value[name];

    public static TheoryData<string> ConversationNames() => new(ConversationCases.Value.Keys);

    public static TheoryData<string> FeatureNames() => new(FeatureCases.Value.Keys);

    /// <summary>The case's variables as JsonElements: the path the gateway takes when it passes client JSON through.</summary>
    public static Dictionary<string, object?> Variables(JsonElement testCase) =>
        testCase.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
}
