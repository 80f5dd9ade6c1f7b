using System.Text.Json;

namespace LlmServe.ChatTemplates.Tests;

public sealed class ChatTemplateConfigTests
{
    [Fact]
    public void Single_template_and_string_tokens()
    {
        using JsonDocument doc = JsonDocument.Parse("""{"chat_template":"{{ bos_token }}x","bos_token":"<s>","eos_token":"</s>"}""");

        ChatTemplateConfig config = ChatTemplateConfig.FromTokenizerConfig(doc.RootElement);

        Assert.Equal("{{ bos_token }}x", config.SelectTemplate());
        Assert.Equal("{{ bos_token }}x", config.SelectTemplate(hasTools: true));
        Assert.Equal("<s>", config.BosToken);
        Assert.Equal("</s>", config.EosToken);
    }

    [Fact]
    public void Named_templates_pick_tool_use_when_tools_are_given()
    {
        using JsonDocument doc = JsonDocument.Parse("""
            {"chat_template":[{"name":"default","template":"D"},{"name":"tool_use","template":"T"},{"name":"rag","template":"R"}],
             "bos_token":{"__type":"AddedToken","content":"<BOS>","lstrip":false},"eos_token":null}
            """);

        ChatTemplateConfig config = ChatTemplateConfig.FromTokenizerConfig(doc.RootElement);

        Assert.Equal("D", config.SelectTemplate());
        Assert.Equal("T", config.SelectTemplate(hasTools: true));
        Assert.Equal("R", config.SelectTemplate("rag"));
        Assert.Null(config.SelectTemplate("missing"));
        Assert.Equal("<BOS>", config.BosToken);
        Assert.Null(config.EosToken);
    }

    [Fact]
    public void Config_without_chat_template_selects_nothing()
    {
        using JsonDocument doc = JsonDocument.Parse("""{"bos_token":"<s>"}""");

        Assert.Null(ChatTemplateConfig.FromTokenizerConfig(doc.RootElement).SelectTemplate());
    }
}
