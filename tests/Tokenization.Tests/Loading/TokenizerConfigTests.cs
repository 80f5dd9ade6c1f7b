using System.Text;

namespace LlmServe.Tokenization.Tests.Loading;

public sealed class TokenizerConfigTests
{
    [Fact]
    public void Reads_the_four_families_configs()
    {
        TokenizerConfig llama3 = TokenizerConfig.Load(TokenizerFiles.ModelDirectory("llama3_1"));
        Assert.Equal("<|begin_of_text|>", llama3.BosToken);
        Assert.Equal("<|eot_id|>", llama3.EosToken);
        Assert.Contains("start_header_id", llama3.ChatTemplate, StringComparison.Ordinal);
        Assert.True(llama3.CleanUpTokenizationSpaces);
        Assert.Null(llama3.AddBosToken);

        TokenizerConfig qwen = TokenizerConfig.Load(TokenizerFiles.ModelDirectory("qwen3"));
        Assert.Null(qwen.BosToken);
        Assert.Equal("<|im_end|>", qwen.EosToken);
        Assert.Equal("<|endoftext|>", qwen.PadToken);
        Assert.Equal(131072, qwen.ModelMaxLength);
        Assert.False(qwen.AddBosToken);

        TokenizerConfig llama2 = TokenizerConfig.Load(TokenizerFiles.ModelDirectory("llama2"));
        Assert.Null(llama2.ChatTemplate);
        Assert.True(llama2.AddBosToken);
        Assert.False(llama2.AddEosToken);
        Assert.Equal("<unk>", llama2.UnkToken);
        Assert.Equal(long.MaxValue, llama2.ModelMaxLength);

        TokenizerConfig gemma = TokenizerConfig.Load(TokenizerFiles.ModelDirectory("gemma3"));
        Assert.Equal("<bos>", gemma.BosToken);
        Assert.Equal("<end_of_turn>", gemma.EosToken);
        Assert.NotNull(gemma.ChatTemplate);
    }

    [Fact]
    public void Token_objects_and_named_template_lists_are_understood()
    {
        const string json = """
            {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
             "chat_template": [{"name": "default", "template": "{{ a }}"}, {"name": "tool_use", "template": "{{ b }}"}],
             "model_max_length": 4096}
            """;
        TokenizerConfig c = TokenizerConfig.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal("<s>", c.BosToken);
        Assert.Equal("</s>", c.EosToken);
        Assert.Null(c.PadToken);
        Assert.Equal("{{ a }}", c.ChatTemplate);
        Assert.Equal("{{ b }}", c.ChatTemplates["tool_use"]);
        Assert.Equal(4096, c.ModelMaxLength);
    }

    [Fact]
    public void Bad_shapes_are_typed_errors()
    {
        Assert.Throws<TokenizerLoadException>(() => TokenizerConfig.Parse("{\"chat_template\": 5}"u8));
        Assert.Throws<TokenizerLoadException>(() => TokenizerConfig.Parse("{\"bos_token\": 5}"u8));
        Assert.Throws<TokenizerLoadException>(() => TokenizerConfig.Parse("[1]"u8));
        Assert.Throws<TokenizerLoadException>(() => TokenizerConfig.Parse("{"u8));
    }
}
