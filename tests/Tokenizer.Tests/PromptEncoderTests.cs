using LlmServe.AllInOne.Demo;
using LlmServe.Contracts;
using LlmServe.TestSupport;
using LlmServe.Tokenizer;

namespace LlmServe.Tokenizer.Tests;

/// <summary>Chat templating, encoding and context-length checks, on the demo model's tokenizer files.</summary>
public sealed class PromptEncoderTests
{
    private static readonly ModelTokenizer Model = ModelTokenizer.Load(PipelineCluster.SharedModelDirectory(), maxModelLenOverride: 64);

    private static TokenizeRequest Chat(params (string Role, string Content)[] messages)
    {
        var chat = new ChatInput();
        chat.Messages.Add(messages.Select(m => new ChatMessage { Role = m.Role, Content = m.Content }));
        return new TokenizeRequest { Chat = chat, AddGenerationPrompt = true };
    }

    [Fact]
    public void Chat_messages_render_through_the_template_with_one_bos()
    {
        int[] ids = new PromptEncoder(Model).Encode(Chat(("user", "Hi")));

        string text = Model.Tokenizer.Decode(ids);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", text);
        Assert.Single(ids, id => id == Model.Tokenizer.TokenToId(DemoModelWriter.BosToken));
    }

    [Fact]
    public void Prompt_text_gets_bos_only_when_special_tokens_are_asked_for()
    {
        var encoder = new PromptEncoder(Model);
        int[] with = encoder.Encode(new TokenizeRequest { Prompt = "hello", AddSpecialTokens = true });
        int[] without = encoder.Encode(new TokenizeRequest { Prompt = "hello", AddSpecialTokens = false });
        Assert.Equal(without.Length + 1, with.Length);
        Assert.Equal(without, with[1..]);
    }

    [Fact]
    public void Out_of_vocabulary_token_ids_are_rejected_with_the_param()
    {
        var request = new TokenizeRequest { PromptTokenIds = new TokenIds() };
        request.PromptTokenIds.Ids.Add([1, 2, 100_000]);
        var error = Assert.Throws<PromptRejectedException>(() => new PromptEncoder(Model).Encode(request));
        Assert.Equal(ErrorCode.InvalidRequest, error.Code);
        Assert.Equal("prompt", error.Param);
    }

    [Theory]
    [InlineData(10, 0, 54)]
    [InlineData(10, 54, 54)]
    [InlineData(1, 63, 63)]
    public void Max_tokens_defaults_to_the_rest_of_the_context(int prompt, int requested, int expected) =>
        Assert.Equal(expected, new PromptEncoder(Model).CheckLength(prompt, requested));

    [Theory]
    [InlineData(10, 55, "max_tokens")]
    [InlineData(64, 0, "messages")]
    [InlineData(100, 1, "max_tokens")]
    public void Over_the_context_is_a_400_class_error_with_the_numbers(int prompt, int requested, string param)
    {
        var error = Assert.Throws<PromptRejectedException>(() => new PromptEncoder(Model).CheckLength(prompt, requested));
        Assert.Equal(ErrorCode.ContextLengthExceeded, error.Code);
        Assert.Equal(param, error.Param);
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_messages_is_a_clear_error()
    {
        var error = Assert.Throws<PromptRejectedException>(() => new PromptEncoder(Model).Encode(Chat()));
        Assert.Equal("messages", error.Param);
    }
}
