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

    public static async Task<PipelineCluster> StartAsync(PipelineClusterOptions? options = null)
    {
        options ??= new PipelineClusterOptions();
        var nats = await NatsServer.StartAsync();
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
        var tokenizer = Start("Tokenizer");
        var detokenizer = Start("Detokenizer");
        var scheduler = Start("Scheduler");
        for (int stage = 0; stage < Options.StageCount; stage++)
        {
            _workers.Add(StartWorker(stage));
        }
        await tokenizer.WaitForOutputAsync("Tokenizer ready", StartTimeout);
        await detokenizer.WaitForOutputAsync("Detokenizer ready", StartTimeout);
        await scheduler.WaitForOutputAsync("KV cache:", StartTimeout);
        if (Options.StartGateway)
        {
            var gateway = Start("Gateway");
            await gateway.WaitForOutputAsync("Now listening on", StartTimeout);
            await WaitUntilReadyAsync();
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
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }
        var process = ServiceProcess.Start(service, env);
        _services.Add(process);
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
