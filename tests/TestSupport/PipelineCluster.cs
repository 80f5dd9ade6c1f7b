using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LlmServe.AllInOne.Demo;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.TestSupport;

/// <summary>
/// The whole system as separate processes over a real nats-server: tokenizer, scheduler, worker stage(s),
/// detokenizer and (optionally) gateway, serving a tiny random-weight model with a real BPE tokenizer.
/// </summary>
public sealed class PipelineCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ServiceProcess> _services = [];
    private readonly List<ServiceProcess> _workers = [];
    private readonly List<ServiceProcess> _tokenizers = [];
    private readonly List<ServiceProcess> _detokenizers = [];
    private readonly Dictionary<ServiceProcess, Dictionary<string, string>?> _extras = [];

    private PipelineCluster(PipelineClusterOptions options, NatsServer nats, string modelDirectory, int httpPort)
    {
        Options = options;
        Nats = nats;
        ModelDirectory = modelDirectory;
        HttpPort = httpPort;
    }

    public PipelineClusterOptions Options { get; }

    public NatsServer Nats { get; }

    public string ModelDirectory { get; }

    public int HttpPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");

    public string Model => Options.Model;

    public IReadOnlyList<ServiceProcess> Workers => _workers;

    public IReadOnlyList<ServiceProcess> Tokenizers => _tokenizers;

    public IReadOnlyList<ServiceProcess> Detokenizers => _detokenizers;

    public ServiceProcess Scheduler { get; private set; } = null!;

    /// <summary>The gateway process, when <see cref="PipelineClusterOptions.StartGateway"/>.</summary>
    public ServiceProcess? Gateway { get; private set; }

    /// <summary>Every service process this cluster runs now (not the ones it replaced).</summary>
    public IEnumerable<ServiceProcess> Current =>
        _tokenizers.Concat(_detokenizers).Append(Scheduler).Concat(_workers).Concat(Gateway is null ? [] : [Gateway]);

    public static async Task<PipelineCluster> StartAsync(PipelineClusterOptions? options = null)
    {
        options ??= new PipelineClusterOptions();
        var nats = await NatsServer.StartAsync([.. options.NatsArguments]);
        string modelDirectory = SharedModelDirectory();
        var cluster = new PipelineCluster(options, nats, modelDirectory, FreePort());
        try
        {
            await cluster.StartServicesAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The tiny demo model, written once per test run (same seed, so every test sees the same weights).</summary>
    public static string SharedModelDirectory()
    {
        lock (ModelLock)
        {
            if (s_modelDirectory is null)
            {
                string dir = Path.Combine(Path.GetTempPath(), $"llmserve-test-model-{Environment.ProcessId}");
                if (!File.Exists(Path.Combine(dir, "model.safetensors")))
                {
                    DemoModelWriter.Write(dir, seed: 11);
                }
                s_modelDirectory = dir;
            }
            return s_modelDirectory;
        }
    }

    private static readonly Lock ModelLock = new();
    private static string? s_modelDirectory;

    private async Task StartServicesAsync()
    {
        for (int i = 0; i < Options.TokenizerReplicas; i++)
        {
            _tokenizers.Add(Start("Tokenizer"));
        }
        for (int shard = 0; shard < Options.DetokenizerShards; shard++)
        {
            _detokenizers.Add(Start("Detokenizer", DetokenizerShard(shard)));
        }
        Scheduler = Start("Scheduler");
        for (int stage = 0; stage < Options.StageCount; stage++)
        {
            _workers.Add(StartWorker(stage));
        }
        foreach (var tokenizer in _tokenizers)
        {
            await tokenizer.WaitForOutputAsync("Tokenizer ready", StartTimeout);
        }
        foreach (var detokenizer in _detokenizers)
        {
            await detokenizer.WaitForOutputAsync("Detokenizer ready", StartTimeout);
        }
        await Scheduler.WaitForOutputAsync("KV cache:", StartTimeout);
        if (Options.StartGateway)
        {
            Gateway = Start("Gateway");
            await Gateway.WaitForOutputAsync("Now listening on", StartTimeout);
            await WaitUntilReadyAsync();
        }
    }

    private static Dictionary<string, string> DetokenizerShard(int shard) =>
        new() { ["Detokenizer__Shard"] = shard.ToString(CultureInfo.InvariantCulture) };

    /// <summary>
    /// Starts a service again with the configuration it had (e.g. after a test killed it) and puts the new process
    /// in the old one's place. Does not wait for it to be ready.
    /// </summary>
    public ServiceProcess Restart(ServiceProcess old)
    {
        ArgumentNullException.ThrowIfNull(old);
        old.Kill();
        var extra = _extras[old];
        if (old.Service == "Worker")
        {
            int stage = _workers.IndexOf(old);
            return RestartWorker(stage);
        }
        var replacement = Start(old.Service, extra);
        Replace(_tokenizers, old, replacement);
        Replace(_detokenizers, old, replacement);
        if (ReferenceEquals(Scheduler, old))
        {
            Scheduler = replacement;
        }
        if (ReferenceEquals(Gateway, old))
        {
            Gateway = replacement;
        }
        return replacement;
    }

    private static void Replace(List<ServiceProcess> list, ServiceProcess old, ServiceProcess replacement)
    {
        int index = list.IndexOf(old);
        if (index >= 0)
        {
            list[index] = replacement;
        }
    }

    /// <summary>Starts (again) the worker of <paramref name="stage"/>, e.g. after a test killed it.</summary>
    public ServiceProcess RestartWorker(int stage)
    {
        var worker = StartWorker(stage);
        _workers[stage] = worker;
        return worker;
    }

    public async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the gateway never became ready:\n" + string.Join("\n---\n", _services.Select(s => s + "\n" + s.Output)));
    }

    private ServiceProcess StartWorker(int stage)
    {
        var worker = Start("Worker", new Dictionary<string, string>
        {
            ["Worker__StageIndex"] = stage.ToString(CultureInfo.InvariantCulture),
            ["Worker__WorkerId"] = $"worker-{stage}-{Guid.NewGuid():N}",
        });
        return worker;
    }

    private ServiceProcess Start(string service, Dictionary<string, string>? extra = null)
    {
        string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["Messaging__Url"] = Nats.Url,
            ["Messaging__Name"] = service.ToLowerInvariant(),
            ["Tokenizer__Model"] = Model,
            ["Tokenizer__ModelDirectory"] = ModelDirectory,
            ["Scheduler__Model"] = Model,
            ["Scheduler__MaxNumSeqs"] = Int(Options.MaxNumSeqs),
            ["Scheduler__MaxNumBatchedTokens"] = Int(Options.MaxNumBatchedTokens),
            ["Scheduler__WorkerTimeout"] = Options.WorkerTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Scheduler__StatusInterval"] = "00:00:00.200",
            ["Scheduler__DetokShards"] = Int(Options.DetokenizerShards),
            ["Detokenizer__ShardCount"] = Int(Options.DetokenizerShards),
            ["Worker__Model"] = Model,
            ["Worker__ModelDirectory"] = ModelDirectory,
            ["Worker__StageCount"] = Int(Options.StageCount),
            ["Worker__KvCacheBlocks"] = Int(Options.KvBlocks),
            ["Worker__MaxSeqs"] = Int(Options.MaxNumSeqs),
            ["Worker__MaxBatchTokens"] = Int(Options.MaxNumBatchedTokens),
            ["Worker__HeartbeatInterval"] = "00:00:00.250",
            ["Worker__Threads"] = "1",
            ["Detokenizer__Model"] = Model,
            ["Detokenizer__ModelDirectory"] = ModelDirectory,
            ["Gateway__Models__0"] = Model,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HttpPort}",
        };
        for (int i = 0; i < Options.ApiKeys.Count; i++)
        {
            env[$"Gateway__ApiKeys__{i}"] = Options.ApiKeys[i];
        }
        foreach (var (k, v) in Options.Environment)
        {
            env[k] = v;
        }
        foreach (var (k, v) in Options.ServiceEnvironment.GetValueOrDefault(service) ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }
        var process = ServiceProcess.Start(service, env);
        _services.Add(process);
        _extras[process] = extra;
        return process;
    }

    /// <summary>Everything every service printed, for assertion messages.</summary>
    public string Logs => string.Join("\n---\n", _services.Select(s => s + "\n" + s.Output));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }
        await Nats.DisposeAsync();
    }
}
