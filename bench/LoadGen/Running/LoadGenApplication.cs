using LlmServe.LoadGen.Arrivals;
using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Floor;
using LlmServe.LoadGen.Http;
using LlmServe.LoadGen.Metrics;
using LlmServe.LoadGen.Reporting;

namespace LlmServe.LoadGen.Running;

/// <summary>One benchmark run end to end: build the workload, send it, summarize, print, write the result file.</summary>
public static class LoadGenApplication
{
    public static async Task<RunReport> RunAsync(LoadGenOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var started = DateTimeOffset.UtcNow;
        int connections = (options.MaxConcurrency ?? options.NumPrompts) + 8;
        using var server = new TargetServer(options.BaseUrl, options.Endpoint, options.Model, options.ApiKey, connections, options.RequestTimeout);
        var serverTokenizer = new ServerTokenizer(server);
        bool hasTokenize = await serverTokenizer.IsAvailableAsync(cancellationToken).ConfigureAwait(false);
        var vocabulary = options.Tokenizer is null ? null : TokenVocabulary.Load(options.Tokenizer);
        var format = options.PromptFormat ?? (!server.IsChat && vocabulary is not null ? PromptFormat.Ids : PromptFormat.Text);
        int overhead = format == PromptFormat.Text && hasTokenize ? await serverTokenizer.PromptOverheadAsync(server.IsChat, cancellationToken).ConfigureAwait(false) : 0;
        var prompts = new PromptFactory(format, vocabulary, hasTokenize ? serverTokenizer : null, overhead);
        string inputSource = format == PromptFormat.Ids ? "token ids (exact)" : hasTokenize ? "server /tokenize" : "estimate (1 word = 1 token)";

        if (!options.Quiet)
        {
            stderr.WriteLine($"building {options.NumPrompts} + {options.NumWarmups} warm-up prompts ({options.Dataset}, {format}, input lengths: {inputSource})");
        }
        var all = await BuildAsync(options, options.NumPrompts + options.NumWarmups, prompts, hasTokenize ? serverTokenizer : null, cancellationToken).ConfigureAwait(false);
        if (options.Dataset == "sharegpt")
        {
            inputSource = hasTokenize ? "server /tokenize" : "estimate (4 characters = 1 token)";
        }
        var warmups = all.Take(options.NumWarmups).ToList();
        var requests = all.Skip(options.NumWarmups).ToList();
        var arrivals = ArrivalSchedule.Create(requests.Count, options.RequestRate, options.Seed);

        var sender = new StreamingRequestSender(server, new SamplingSettings(options.Temperature, options.IgnoreEos, options.IncludeUsage, options.TopP, options.TopK, options.MinP), options.HopTimings);
        var progress = options.Quiet ? null : new ProgressBar(stderr, requests.Count, redraw: !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error));
        var result = await new BenchmarkRunner(sender).RunAsync(requests, arrivals, options.MaxConcurrency, warmups, progress, cancellationToken).ConfigureAwait(false);
        var summary = BenchmarkSummary.From(result.Outcomes, result.DurationSeconds, options.Percentiles, options.Goodput);

        WorkloadFloor? floor = null;
        if (options.WantsFloor)
        {
            var shape = options.FloorShape ?? (options.FloorModelConfig is { } config ? ModelShape.FromConfig(config) : ModelShape.Llama31_8B);
            // The floor is for the workload as sent: the dataset's lengths, and max_tokens as the output (ignore_eos runs).
            var lengths = requests.Select(r => (r.InputTokens, r.OutputTokens)).ToList();
            floor = WorkloadFloor.Compute(lengths, options.MaxConcurrency ?? requests.Count, shape,
                new HardwareCeilings(options.FloorGemmTflops, options.FloorBandwidthGBs), options.FloorParams, arrivals.Length > 0 ? arrivals[^1] : 0);
        }

        var report = new RunReport(options, summary, result.Outcomes, floor, inputSource, started,
            options.HopTimings ? HopTimingSummary.From(result.Outcomes) : null);
        ResultTable.Write(stdout, report);
        if (options.ResultFile is { } path)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
            using var file = File.Create(path);
            ResultJson.Write(file, report);
        }
        return report;
    }

    private static Task<List<BenchRequest>> BuildAsync(LoadGenOptions o, int count, PromptFactory prompts, ServerTokenizer? tokenizer, CancellationToken cancellationToken) =>
        o.Dataset switch
        {
            "sharegpt" => ShareGptDataset.LoadAsync(o.DatasetPath!, tokenizer, count, o.Seed, o.ShareGptOutputLength, cancellationToken),
            "sharegpt-synthetic" => SyntheticShareGptDataset.CreateAsync(prompts, count, o.Seed, cancellationToken),
            _ => RandomDataset.CreateAsync(prompts, count, o.RandomInputLength, o.RandomOutputLength, o.RandomRangeRatio, o.Seed, cancellationToken),
        };
}
