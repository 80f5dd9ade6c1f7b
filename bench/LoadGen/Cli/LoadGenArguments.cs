using System.Globalization;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Floor;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Cli;

/// <summary>Parses the command line (<c>--name value</c> pairs and flags, vLLM's spellings) into <see cref="LoadGenOptions"/>.</summary>
public static class LoadGenArguments
{
    public const string Usage = """
        LoadGen: serving benchmark for an OpenAI-compatible server (like `vllm bench serve`).

        target:   --base-url URL (http://127.0.0.1:8000)  --endpoint /v1/completions|/v1/chat/completions
                  --model NAME (required)  --api-key KEY  --request-timeout SECONDS (1800)
        dataset:  --dataset-name random|sharegpt|sharegpt-synthetic (random)  --dataset-path FILE (sharegpt)
                  --sharegpt-output-len N  --random-input-len N (1024)  --random-output-len N (128)
                  --random-range-ratio R (0)  --prompt-format ids|text  --tokenizer tokenizer.json|MODEL_DIR
        load:     --num-prompts N (1000)  --num-warmups N (0)  --request-rate R|inf (inf)  --max-concurrency N
                  --seed N (0)  --ignore-eos  --temperature T (0)  --top-p P  --top-k K  --min-p P  --no-usage
        output:   --percentiles 50,90,99  --goodput ttft:MS tpot:MS e2el:MS  --result-file FILE  --label TEXT  --quiet
                  --hop-timings (ask our gateway for each request's per-hop times: x-llmserve-timing: 1)
        floor:    --floor-model-config config.json|MODEL_DIR  --floor-model llama-3.1-8b  --floor-params N
                  --floor-gemm-tflops T (791)  --floor-bandwidth-gbs B (3030)
        """;

    public static LoadGenOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new LoadGenOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{name} needs a value.");
                }
                return args[++i];
            }
            int Int() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
            o = name switch
            {
                "--base-url" => o with { BaseUrl = new Uri(Value()) },
                "--endpoint" => o with { Endpoint = Value() },
                "--model" => o with { Model = Value() },
                "--api-key" => o with { ApiKey = Value() },
                "--request-timeout" => o with { RequestTimeout = TimeSpan.FromSeconds(Double()) },
                "--dataset-name" or "--dataset" => o with { Dataset = Value() },
                "--dataset-path" => o with { DatasetPath = Value() },
                "--sharegpt-output-len" => o with { ShareGptOutputLength = Int() },
                "--random-input-len" => o with { RandomInputLength = Int() },
                "--random-output-len" => o with { RandomOutputLength = Int() },
                "--random-range-ratio" => o with { RandomRangeRatio = Double() },
                "--prompt-format" => o with { PromptFormat = Enum.Parse<PromptFormat>(Value(), ignoreCase: true) },
                "--tokenizer" => o with { Tokenizer = Value() },
                "--num-prompts" => o with { NumPrompts = Int() },
                "--num-warmups" => o with { NumWarmups = Int() },
                "--request-rate" => o with { RequestRate = Rate(Value()) },
                "--max-concurrency" => o with { MaxConcurrency = Int() },
                "--seed" => o with { Seed = Int() },
                "--ignore-eos" => o with { IgnoreEos = true },
                "--temperature" => o with { Temperature = Double() },
                "--top-p" => o with { TopP = Double() },
                "--top-k" => o with { TopK = Int() },
                "--min-p" => o with { MinP = Double() },
                "--no-usage" => o with { IncludeUsage = false },
                "--percentiles" or "--metric-percentiles" => o with { Percentiles = Percentiles(Value()) },
                "--goodput" => o with { Goodput = GoodputSlo.Parse(Many(args, ref i)) },
                "--result-file" => o with { ResultFile = Value() },
                "--label" => o with { Label = Value() },
                "--quiet" => o with { Quiet = true },
                "--hop-timings" => o with { HopTimings = true },
                "--floor-model-config" => o with { FloorModelConfig = Value() },
                "--floor-model" => o with { FloorShape = KnownShape(Value()) },
                "--floor-params" => o with { FloorParams = (long)Double() },
                "--floor-gemm-tflops" => o with { FloorGemmTflops = Double() },
                "--floor-bandwidth-gbs" => o with { FloorBandwidthGBs = Double() },
                _ => throw new FormatException($"Unknown argument '{name}'."),
            };
        }
        Validate(o);
        return o;
    }

    private static void Validate(LoadGenOptions o)
    {
        if (string.IsNullOrEmpty(o.Model))
        {
            throw new FormatException("--model is required.");
        }
        if (o.NumPrompts < 1 || o.NumWarmups < 0 || o.MaxConcurrency is < 1)
        {
            throw new FormatException("--num-prompts and --max-concurrency must be at least 1, --num-warmups at least 0.");
        }
        if (o.Dataset is not ("random" or "sharegpt" or "sharegpt-synthetic"))
        {
            throw new FormatException($"--dataset-name must be random, sharegpt or sharegpt-synthetic, not '{o.Dataset}'.");
        }
        if (o.Dataset == "sharegpt" && o.DatasetPath is null)
        {
            throw new FormatException("--dataset-name sharegpt needs --dataset-path FILE.");
        }
        if (o.PromptFormat == PromptFormat.Ids && o.Endpoint.Contains("chat", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("Chat requests carry text: --prompt-format ids works with /v1/completions only.");
        }
        if (o.Temperature < 0 || o.TopP is <= 0 or > 1 || o.TopK is < -1 || o.MinP is < 0 or > 1)
        {
            throw new FormatException("--temperature must be at least 0, --top-p in (0, 1], --top-k -1 (off) or more, --min-p in [0, 1].");
        }
        if (o.RandomInputLength < 1 || o.RandomOutputLength < 1)
        {
            throw new FormatException("--random-input-len and --random-output-len must be at least 1.");
        }
    }

    private static double Rate(string text) =>
        text.Equals("inf", StringComparison.OrdinalIgnoreCase) ? double.PositiveInfinity : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static List<double> Percentiles(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => double.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture))];

    private static List<string> Many(IReadOnlyList<string> args, ref int i)
    {
        var values = new List<string>();
        while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            values.Add(args[++i]);
        }
        return values;
    }

    private static ModelShape KnownShape(string name) => name.ToLowerInvariant() switch
    {
        "llama-3.1-8b" or "llama3.1-8b" or "llama-3-8b" => ModelShape.Llama31_8B,
        _ => throw new FormatException($"--floor-model knows llama-3.1-8b; use --floor-model-config for others, not '{name}'."),
    };
}
