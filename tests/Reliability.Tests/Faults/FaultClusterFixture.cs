using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Faults;

/// <summary>
/// One cluster for the fault scenarios, every service its own process over a real nats-server: 3 tokenizers,
/// 2 detokenizer shards, a scheduler, a worker in 2 pipeline stages and a gateway. Deadlines are short so that a
/// lost stream surfaces in seconds (the defaults are minutes).
/// </summary>
public sealed class FaultClusterFixture : IAsyncLifetime
{
    /// <summary>Silence after which the gateway ends a started stream (Gateway:StreamIdleTimeout).</summary>
    public static readonly TimeSpan StreamIdleTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Gateway:FirstTokenTimeout: the bound for a request lost before its first chunk.</summary>
    public static readonly TimeSpan FirstTokenTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Scheduler:WorkerTimeout: a silent worker fails its requests after this.</summary>
    public static readonly TimeSpan WorkerTimeout = TimeSpan.FromSeconds(2);

    public PipelineCluster Cluster { get; private set; } = null!;

    public SchedulerStatusProbe Status { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await PipelineCluster.StartAsync(Options());
        Status = new SchedulerStatusProbe(Cluster.Nats.Url, Cluster.Model);
    }

    public static PipelineClusterOptions Options(int tokenizers = 3, int detokenizers = 2, int stages = 2) => new()
    {
        TokenizerReplicas = tokenizers,
        DetokenizerShards = detokenizers,
        StageCount = stages,
        KvBlocks = 512,
        WorkerTimeout = WorkerTimeout,
        Environment = new Dictionary<string, string>
        {
            ["Gateway__StreamIdleTimeout"] = StreamIdleTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway__FirstTokenTimeout"] = FirstTokenTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway__TokenizeAckTimeout"] = "00:00:01",
            ["Scheduler__NoWorkersTimeout"] = "00:00:05",
        },
    };

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
