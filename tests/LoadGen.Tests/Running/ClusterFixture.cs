using LlmServe.TestSupport;

namespace LlmServe.LoadGen.Tests.Running;

/// <summary>The whole system (every service its own process, real nats-server, tiny demo model) for the load generator to drive.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public PipelineCluster Cluster { get; private set; } = null!;

    // A generous worker timeout: on a loaded 2-core CI machine a missed heartbeat must not fail the replica mid-run.
    public async ValueTask InitializeAsync() => Cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions
    {
        MaxNumSeqs = 32,
        WorkerTimeout = TimeSpan.FromSeconds(30),
    });

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
