using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Models;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>Validates a /v1/chat/completions body into a <see cref="GenerationRequest"/>.</summary>
internal static class ChatRequestParser
{
    public static GenerationRequest Parse(JsonElement root, GatewayOptions options, ModelCatalog catalog)
    {
        var p = new ParameterReader(root);
        var (requested, served) = ModelParameter.Resolve(p, catalog);
        var chat = ChatInputParser.Parse(p);
        var common = CommonParameters.Parse(p, options, ApiKind.ChatCompletions);
        bool addGenerationPrompt = p.Bool("add_generation_prompt", true);
        if (addGenerationPrompt && chat.ContinueFinalMessage && p.Has("add_generation_prompt"))
        {
            throw ParameterReader.Invalid("'continue_final_message' and 'add_generation_prompt' cannot both be true.", "continue_final_message");
        }
        if (chat.ContinueFinalMessage)
        {
            addGenerationPrompt = false;
        }
        RejectUnsupportedResponseFormat(p);

        var request = new TokenizeRequest
        {
            Model = served,
            Kind = RequestKind.Generate,
            Chat = chat,
            AddGenerationPrompt = addGenerationPrompt,
            AddSpecialTokens = p.Bool("add_special_tokens", false),
            Sampling = common.Sampling,
            Detokenize = common.Detokenize,
            N = common.N,
            Priority = common.Priority,
        };
        return new GenerationRequest
        {
            Kind = ApiKind.ChatCompletions,
            Model = requested,
            ServedModel = served,
            Inputs = [request],
            N = common.N,
            Stream = common.Stream,
            IncludeUsage = common.IncludeUsage,
            Logprobs = common.Sampling.Logprobs,
            TopLogprobs = common.Sampling.TopLogprobs,
        };
    }

    private static void RejectUnsupportedResponseFormat(ParameterReader p)
    {
        if (p.Get("response_format") is not { } format)
        {
            return;
        }
        if (format.ValueKind != JsonValueKind.Object)
        {
            throw ParameterReader.Invalid("'response_format' must be an object.", "response_format");
        }
        string? type = new ParameterReader(format).String("type");
        if (type is not (null or "text"))
        {
            // Structured output needs guided decoding, which the engine does not do; say so rather than ignore it.
            throw ParameterReader.Invalid($"'response_format' type '{type}' is not supported; only 'text'.", "response_format");
        }
    }
}
