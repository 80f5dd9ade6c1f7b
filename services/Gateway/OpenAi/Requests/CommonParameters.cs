using System.Globalization;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>
/// The parameters chat and completions share: sampling (with vLLM's ranges and extras), stop conditions,
/// detokenization flags, n, streaming and priority. Fills a <see cref="TokenizeRequest"/> template.
/// </summary>
internal sealed class CommonParameters
{
    public required int N { get; init; }

    public required bool Stream { get; init; }

    public required bool IncludeUsage { get; init; }

    public required SamplingParams Sampling { get; init; }

    public required DetokenizeParams Detokenize { get; init; }

    public required int Priority { get; init; }

    public static CommonParameters Parse(ParameterReader p, GatewayOptions options, ApiKind kind)
    {
        var sampling = new SamplingParams
        {
            Temperature = (float)p.Number("temperature", 1.0, 0, 100),
            TopP = (float)p.Number("top_p", 1.0, 0, 1, minExclusive: true),
            TopK = (int)(p.Integer("top_k", -1, int.MaxValue) ?? -1),
            MinP = (float)p.Number("min_p", 0, 0, 1),
            PresencePenalty = (float)p.Number("presence_penalty", 0, -2, 2),
            FrequencyPenalty = (float)p.Number("frequency_penalty", 0, -2, 2),
            RepetitionPenalty = (float)p.Number("repetition_penalty", 1, 0, 100, minExclusive: true),
            MinTokens = (int)(p.Integer("min_tokens", 0, int.MaxValue) ?? 0),
            IgnoreEos = p.Bool("ignore_eos", false),
        };

        // max_completion_tokens is the newer name; it wins when both are given, as in OpenAI's API.
        long? maxTokens = p.Integer("max_completion_tokens", 1, int.MaxValue) ?? p.Integer("max_tokens", 1, int.MaxValue);
        sampling.MaxTokens = (int)(maxTokens ?? 0);
        if (maxTokens is long max && sampling.MinTokens > max)
        {
            throw ParameterReader.Invalid($"'min_tokens' ({sampling.MinTokens}) must not exceed max_tokens ({max}).", "min_tokens");
        }
        if (p.Integer("seed", long.MinValue, long.MaxValue) is long seed)
        {
            sampling.Seed = unchecked((ulong)seed);
        }
        ReadStopTokenIds(p, sampling);
        ReadLogitBias(p, sampling);
        ReadLogprobs(p, options, kind, sampling);

        int n = (int)(p.Integer("n", 1, options.MaxN) ?? 1);
        if (p.Integer("best_of", 1, options.MaxN) is long bestOf && bestOf != n)
        {
            throw ParameterReader.Invalid("'best_of' other than n is not supported.", "best_of");
        }

        bool stream = p.Bool("stream", false);
        bool includeUsage = false;
        if (p.Get("stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object)
            {
                throw ParameterReader.Invalid("'stream_options' must be an object.", "stream_options");
            }
            if (!stream)
            {
                throw ParameterReader.Invalid("'stream_options' is only allowed when 'stream' is true.", "stream_options");
            }
            includeUsage = new ParameterReader(so).Bool("include_usage", false);
        }

        var detokenize = new DetokenizeParams
        {
            SkipSpecialTokens = p.Bool("skip_special_tokens", true),
            IncludeStopStrInOutput = p.Bool("include_stop_str_in_output", false),
            SpacesBetweenSpecialTokens = p.Bool("spaces_between_special_tokens", true),
        };
        ReadStop(p, options, detokenize);

        _ = p.String("user");
        int priority = (int)(p.Integer("priority", int.MinValue, int.MaxValue) ?? 0);
        return new CommonParameters
        {
            N = n,
            Stream = stream,
            IncludeUsage = includeUsage,
            Sampling = sampling,
            Detokenize = detokenize,
            Priority = priority,
        };
    }

    private static void ReadLogprobs(ParameterReader p, GatewayOptions options, ApiKind kind, SamplingParams sampling)
    {
        if (kind == ApiKind.ChatCompletions)
        {
            sampling.Logprobs = p.Bool("logprobs", false);
            if (p.Integer("top_logprobs", 0, options.MaxLogprobs) is long top)
            {
                if (!sampling.Logprobs && top > 0)
                {
                    throw ParameterReader.Invalid("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
                }
                sampling.TopLogprobs = (int)top;
            }
        }
        else if (p.Integer("logprobs", 0, options.MaxLogprobs) is long k)
        {
            sampling.Logprobs = true;
            sampling.TopLogprobs = (int)k;
        }
    }

    private static void ReadStopTokenIds(ParameterReader p, SamplingParams sampling)
    {
        if (p.Get("stop_token_ids") is not { } ids)
        {
            return;
        }
        if (ids.ValueKind != JsonValueKind.Array)
        {
            throw ParameterReader.Invalid("'stop_token_ids' must be a list of token ids.", "stop_token_ids");
        }
        if (ids.GetArrayLength() > 1024)
        {
            throw ParameterReader.Invalid("'stop_token_ids' may list at most 1024 ids.", "stop_token_ids");
        }
        foreach (var id in ids.EnumerateArray())
        {
            sampling.StopTokenIds.Add(TokenId(id, "stop_token_ids"));
        }
    }

    private static void ReadLogitBias(ParameterReader p, SamplingParams sampling)
    {
        if (p.Get("logit_bias") is not { } bias)
        {
            return;
        }
        if (bias.ValueKind != JsonValueKind.Object)
        {
            throw ParameterReader.Invalid("'logit_bias' must be an object mapping token ids to biases.", "logit_bias");
        }
        foreach (var entry in bias.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int tokenId))
            {
                throw ParameterReader.Invalid("'logit_bias' keys must be token ids (non-negative integers).", "logit_bias");
            }
            double value = ParameterReader.AsNumber(entry.Value, "logit_bias");
            if (value is < -100 or > 100)
            {
                throw ParameterReader.Invalid("'logit_bias' values must be between -100 and 100.", "logit_bias");
            }
            if (sampling.LogitBias.Count >= 1024)
            {
                throw ParameterReader.Invalid("'logit_bias' may hold at most 1024 entries.", "logit_bias");
            }
            sampling.LogitBias[tokenId] = (float)value;
        }
    }

    private static void ReadStop(ParameterReader p, GatewayOptions options, DetokenizeParams detokenize)
    {
        if (p.Get("stop") is not { } stop)
        {
            return;
        }
        if (stop.ValueKind == JsonValueKind.String)
        {
            AddStop(stop, options, detokenize);
            return;
        }
        if (stop.ValueKind != JsonValueKind.Array)
        {
            throw ParameterReader.Invalid("'stop' must be a string or a list of strings.", "stop");
        }
        if (stop.GetArrayLength() > options.MaxStopStrings)
        {
            throw ParameterReader.Invalid($"'stop' may hold at most {options.MaxStopStrings} strings.", "stop");
        }
        foreach (var s in stop.EnumerateArray())
        {
            AddStop(s, options, detokenize);
        }
    }

    private static void AddStop(JsonElement s, GatewayOptions options, DetokenizeParams detokenize)
    {
        string text = ParameterReader.AsString(s, "stop");
        if (text.Length == 0)
        {
            throw ParameterReader.Invalid("'stop' strings must not be empty.", "stop");
        }
        if (text.Length > options.MaxStopStringLength)
        {
            throw ParameterReader.Invalid($"'stop' strings may be at most {options.MaxStopStringLength} characters.", "stop");
        }
        if (detokenize.Stop.Count >= options.MaxStopStrings)
        {
            throw ParameterReader.Invalid($"'stop' may hold at most {options.MaxStopStrings} strings.", "stop");
        }
        detokenize.Stop.Add(text);
    }

    /// <summary>A token id: an integer in [0, int.MaxValue].</summary>
    public static int TokenId(JsonElement v, string param)
    {
        long id = ParameterReader.AsInteger(v, param);
        if (id is < 0 or > int.MaxValue)
        {
            throw ParameterReader.Invalid($"'{param}' must hold token ids (non-negative integers).", param);
        }
        return (int)id;
    }
}
