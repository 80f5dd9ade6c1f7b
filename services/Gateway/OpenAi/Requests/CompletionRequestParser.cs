using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Models;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>
/// Validates a /v1/completions body. <c>prompt</c> may be a string, a list of strings, a list of token ids or a
/// list of token-id lists; each prompt becomes its own bus request with n choices, as OpenAI numbers them.
/// </summary>
internal static class CompletionRequestParser
{
    public static GenerationRequest Parse(JsonElement root, GatewayOptions options, ModelCatalog catalog)
    {
        var p = new ParameterReader(root);
        var (requested, served) = ModelParameter.Resolve(p, catalog);
        var prompts = ReadPrompts(p, options);
        var common = CommonParameters.Parse(p, options, ApiKind.Completions);
        bool echo = p.Bool("echo", false);
        bool addSpecialTokens = p.Bool("add_special_tokens", true);
        if (p.Get("suffix") is { } suffix && (suffix.ValueKind != JsonValueKind.String || suffix.GetString()!.Length > 0))
        {
            throw ParameterReader.Invalid("'suffix' is not supported.", "suffix");
        }

        var inputs = new List<TokenizeRequest>(prompts.Count);
        foreach (var prompt in prompts)
        {
            var request = new TokenizeRequest
            {
                Model = served,
                Kind = RequestKind.Generate,
                AddSpecialTokens = addSpecialTokens,
                Sampling = common.Sampling.Clone(),
                Detokenize = common.Detokenize.Clone(),
                N = common.N,
                Priority = common.Priority,
                Echo = echo,
            };
            if (prompt.Text is not null)
            {
                request.Prompt = prompt.Text;
            }
            else
            {
                request.PromptTokenIds = prompt.Ids;
            }
            inputs.Add(request);
        }
        return new GenerationRequest
        {
            Kind = ApiKind.Completions,
            Model = requested,
            ServedModel = served,
            Inputs = inputs,
            N = common.N,
            Stream = common.Stream,
            IncludeUsage = common.IncludeUsage,
            Logprobs = common.Sampling.Logprobs,
            TopLogprobs = common.Sampling.TopLogprobs,
        };
    }

    private readonly record struct Prompt(string? Text, TokenIds? Ids);

    private static List<Prompt> ReadPrompts(ParameterReader p, GatewayOptions options)
    {
        const string Param = "prompt";
        if (p.Get(Param) is not { } prompt)
        {
            throw ParameterReader.Invalid("'prompt' is required.", Param);
        }
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [new Prompt(prompt.GetString(), null)];
        }
        if (prompt.ValueKind != JsonValueKind.Array)
        {
            throw ParameterReader.Invalid("'prompt' must be a string, a list of strings, a list of token ids or a list of token-id lists.", Param);
        }
        int length = prompt.GetArrayLength();
        if (length == 0)
        {
            throw ParameterReader.Invalid("'prompt' must not be empty.", Param);
        }
        var first = prompt[0];
        switch (first.ValueKind)
        {
            case JsonValueKind.Number:
                return [new Prompt(null, ReadIds(prompt, Param))];
            case JsonValueKind.String:
            case JsonValueKind.Array:
                if (length > options.MaxPrompts)
                {
                    throw ParameterReader.Invalid($"'prompt' may hold at most {options.MaxPrompts} prompts.", Param);
                }
                var list = new List<Prompt>(length);
                foreach (var item in prompt.EnumerateArray())
                {
                    if (item.ValueKind != first.ValueKind)
                    {
                        throw ParameterReader.Invalid("'prompt' lists must not mix strings and token-id lists.", Param);
                    }
                    list.Add(item.ValueKind == JsonValueKind.String ? new Prompt(item.GetString(), null) : new Prompt(null, ReadIds(item, Param)));
                }
                return list;
            default:
                throw ParameterReader.Invalid("'prompt' must be a string, a list of strings, a list of token ids or a list of token-id lists.", Param);
        }
    }

    private static TokenIds ReadIds(JsonElement array, string param)
    {
        if (array.GetArrayLength() == 0)
        {
            throw ParameterReader.Invalid("'prompt' token-id lists must not be empty.", param);
        }
        var ids = new TokenIds();
        foreach (var id in array.EnumerateArray())
        {
            ids.Ids.Add(CommonParameters.TokenId(id, param));
        }
        return ids;
    }
}
