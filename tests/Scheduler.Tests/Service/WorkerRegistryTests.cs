using LlmServe.Contracts;
using LlmServe.Scheduler.Service;

namespace LlmServe.Scheduler.Tests.Service;

public sealed class WorkerRegistryTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    private static WorkerHello Hello(string id, int stage, int stages = 2, int blocks = 100, int blockSize = 16, int maxLen = 4096) => new()
    {
        WorkerId = id,
        StageIndex = stage,
        StageCount = stages,
        KvBlocks = blocks,
        BlockSize = blockSize,
        MaxModelLen = maxLen,
        EosTokenIds = { 2 },
    };

    [Fact]
    public void Ready_only_when_every_stage_is_held_and_capacity_is_the_minimum()
    {
        var registry = new WorkerRegistry(TimeSpan.FromSeconds(3));
        Assert.Equal(WorkerChange.Added, registry.Hello(Hello("a", 0, blocks: 100, maxLen: 8192), T0));
        Assert.False(registry.IsReady);
        Assert.Equal(WorkerChange.Added, registry.Hello(Hello("b", 1, blocks: 80, maxLen: 4096), T0));
        Assert.True(registry.IsReady);
        WorkerCapacity capacity = registry.Capacity();
        Assert.Equal(80, capacity.KvBlocks);
        Assert.Equal(4096, capacity.MaxModelLen);
        Assert.Equal([2], capacity.EosTokenIds);
        Assert.Equal(2, capacity.StageCount);
    }

    [Fact]
    public void Repeated_hello_refreshes_and_a_new_worker_on_a_held_stage_replaces()
    {
        var registry = new WorkerRegistry(TimeSpan.FromSeconds(3));
        registry.Hello(Hello("a", 0), T0);
        Assert.Equal(WorkerChange.Refreshed, registry.Hello(Hello("a", 0), T0));
        Assert.Equal(WorkerChange.Replaced, registry.Hello(Hello("a2", 0), T0));
        Assert.Equal(1, registry.WorkerCount);
    }

    [Fact]
    public void Inconsistent_hellos_are_rejected()
    {
        var registry = new WorkerRegistry(TimeSpan.FromSeconds(3));
        registry.Hello(Hello("a", 0), T0);
        Assert.Equal(WorkerChange.Rejected, registry.Hello(Hello("b", 1, stages: 3), T0));
        Assert.Equal(WorkerChange.Rejected, registry.Hello(Hello("c", 1, blockSize: 32), T0));
        Assert.Equal(WorkerChange.Rejected, registry.Hello(Hello("d", 5), T0));
        Assert.Equal(WorkerChange.Rejected, registry.Hello(Hello("e", 1, blocks: 0), T0));
        Assert.NotNull(registry.LastRejection);
        Assert.False(registry.IsReady);
    }

    [Fact]
    public void A_worker_silent_past_the_timeout_is_found_and_heartbeats_keep_it_alive()
    {
        var registry = new WorkerRegistry(TimeSpan.FromSeconds(3));
        registry.Hello(Hello("a", 0, stages: 1), T0);
        Assert.Null(registry.FindSilent(T0.AddSeconds(2)));
        Assert.True(registry.Heartbeat("a", T0.AddSeconds(2)));
        Assert.Null(registry.FindSilent(T0.AddSeconds(4)));
        Assert.Equal("a", registry.FindSilent(T0.AddSeconds(6)));
        Assert.False(registry.Heartbeat("stranger", T0));
        Assert.True(registry.Goodbye("a"));
        Assert.False(registry.IsReady);
    }
}
