using LlmServe.TestSupport;

namespace LlmServe.EndToEnd.Tests;

/// <summary>The whole system for the hop-timing tests, with a worker timeout generous enough that a busy 2-core machine never
/// fails the replica mid-request (these tests are about the stamps, not about failure handling).</summary>
public sealed class HopTimingClusterFixture : IAsyncLifetime
{
    public PipelineCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions
    {
        WorkerTimeout = TimeSpan.FromSeconds(30),
    });

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
