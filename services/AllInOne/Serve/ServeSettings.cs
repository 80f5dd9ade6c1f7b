using System.Globalization;

namespace LlmServe.AllInOne.Serve;

/// <summary>What `serve` was asked for on the command line; turned into the services' configuration.</summary>
public sealed record ServeSettings
{
    /// <summary>Model directory; null serves the built-in demo model.</summary>
    public string? ModelDirectory { get; init; }

    public string? ServedModelName { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8000;

    public string Device { get; init; } = "cpu";

    /// <summary>NATS URL; null runs every service on the in-process bus.</summary>
    public string? NatsUrl { get; init; }

    public int MaxModelLen { get; init; }

    public int KvCacheMemoryMiB { get; init; } = 256;

    public int MaxNumSeqs { get; init; } = 64;

    public int MaxNumBatchedTokens { get; init; } = 512;

    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>The configuration each service reads (the same keys their own processes read from appsettings/env).</summary>
    public Dictionary<string, string?> ToConfiguration(string modelDirectory, string servedName)
    {
        string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Messaging:Url"] = NatsUrl ?? string.Empty,
            ["Messaging:Name"] = "llmserve-all-in-one",
            ["Tokenizer:Model"] = servedName,
            ["Tokenizer:ModelDirectory"] = modelDirectory,
            ["Tokenizer:MaxModelLen"] = Int(MaxModelLen),
            ["Scheduler:Model"] = servedName,
            ["Scheduler:ReplicaId"] = "0",
            ["Scheduler:MaxNumSeqs"] = Int(MaxNumSeqs),
            ["Scheduler:MaxNumBatchedTokens"] = Int(MaxNumBatchedTokens),
            ["Scheduler:MaxModelLen"] = Int(MaxModelLen),
            ["Worker:Model"] = servedName,
            ["Worker:ReplicaId"] = "0",
            ["Worker:ModelDirectory"] = modelDirectory,
            ["Worker:Device"] = Device,
            ["Worker:KvCacheMemoryMiB"] = Int(KvCacheMemoryMiB),
            ["Worker:MaxSeqs"] = Int(MaxNumSeqs),
            ["Worker:MaxBatchTokens"] = Int(MaxNumBatchedTokens),
            ["Worker:MaxModelLen"] = Int(MaxModelLen),
            ["Detokenizer:Model"] = servedName,
            ["Detokenizer:ModelDirectory"] = modelDirectory,
            ["Gateway:Models:0"] = servedName,
            ["Urls"] = string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}"),
        };
        for (int i = 0; i < ApiKeys.Count; i++)
        {
            config[string.Create(CultureInfo.InvariantCulture, $"Gateway:ApiKeys:{i}")] = ApiKeys[i];
        }
        return config;
    }
}
