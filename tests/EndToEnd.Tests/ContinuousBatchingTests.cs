using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.TestSupport;

namespace LlmServe.EndToEnd.Tests;

/// <summary>
/// The scheduler and workers as separate processes over a real nats-server (started by the test), serving a tiny
/// random-weight model on the CPU backend: batching must not change what any request produces.
/// </summary>
public sealed class ContinuousBatchingTests
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(120);

    private static List<(int[] Prompt, int MaxTokens)> MixedWorkload(int count, int seed)
    {
        var random = new Random(seed);
        var work = new List<(int[], int)>(count);
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(1, 10) == 1 ? random.Next(100, 300) : random.Next(2, 40);
            work.Add((Enumerable.Range(0, length).Select(_ => random.Next(0, 256)).ToArray(), random.Next(2, 24)));
        }
        return work;
    }

    [Theory]
    [InlineData(1, true)] // one worker: the next step is planned while it runs the current one
    [InlineData(1, false)]
    [InlineData(2, true)] // two stages: one step in flight whatever the option says
    public async Task Concurrent_requests_produce_exactly_what_each_produces_alone(int stages, bool asyncScheduling)
    {
        await using var cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions
        {
            StageCount = stages,
            StartGateway = false,
            Environment = new Dictionary<string, string> { ["Scheduler__AsyncScheduling"] = asyncScheduling ? "true" : "false" },
        });
        int expectedInFlight = asyncScheduling && stages == 1 ? 2 : 1;
        await cluster.Scheduler.WaitForOutputAsync($"Steps in flight: {expectedInFlight}", TimeSpan.FromSeconds(30));
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = cluster.Nats.Url }, cancellationToken: TestContext.Current.CancellationToken);
        var client = new BusGenerationClient(bus, cluster.Model);
        var work = MixedWorkload(64, seed: 42 + stages);

        var outcomes = await Task.WhenAll(work.Select(w => client.GenerateAsync(w.Prompt, w.MaxTokens, RequestTimeout)));

        // Every request is checked before failing, and the failure carries all of them and the services' logs: the one
        // wrong-token failure seen (rarely, under heavy load) told only which token of the first bad request differed.
        var problems = new List<string>();
        for (int i = 0; i < work.Count; i++)
        {
            var outcome = outcomes[i];
            if (outcome.Error is not null)
            {
                problems.Add($"request {i} failed: {outcome.Error}");
                continue;
            }
            var alone = ReferenceGenerator.GreedyAlone(cluster.ModelDirectory, work[i].Prompt, work[i].MaxTokens);
            if (!alone.SequenceEqual(outcome.TokenIds))
            {
                problems.Add($"request {i} ({outcome.RequestId}, prompt of {work[i].Prompt.Length}, max_tokens {work[i].MaxTokens}): "
                    + $"alone [{string.Join(",", alone)}], batched [{string.Join(",", outcome.TokenIds)}]");
            }
            if (outcome.Usage?.PromptTokens != work[i].Prompt.Length || outcome.Usage.CompletionTokens != work[i].MaxTokens
                || outcome.FinishReason != FinishReason.Length)
            {
                problems.Add($"request {i}: usage {outcome.Usage}, finish {outcome.FinishReason}");
            }
        }
        // With LLMSERVE_E2E_LOGS set to a folder, every run's service output is kept there (traced runs can be replayed).
        if (Environment.GetEnvironmentVariable("LLMSERVE_E2E_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, $"batching-{stages}-stages-{(asyncScheduling ? "async" : "sync")}-{DateTime.UtcNow:HHmmss}{(problems.Count > 0 ? "-FAILED" : "")}.log"), cluster.Logs);
        }
        Assert.True(problems.Count == 0, $"{problems.Count} problems:\n{string.Join("\n", problems)}\n{cluster.Logs}");
    }

    [Fact]
    public async Task Cancelling_half_the_requests_mid_stream_returns_their_blocks()
    {
        // Room for all 16 to run to their max_tokens without preemption.
        await using var cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions { StartGateway = false, KvBlocks = 4200 });
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = cluster.Nats.Url }, cancellationToken: TestContext.Current.CancellationToken);
        var client = new BusGenerationClient(bus, cluster.Model);
        const int maxTokens = 4000; // long enough to be mid-stream when cancelled on any machine this runs on
        var random = new Random(7);
        var started = new System.Collections.Concurrent.ConcurrentBag<string>();
        var prompts = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 40).Select(_ => random.Next(0, 256)).ToArray()).ToList();

        var requests = prompts.Select(p => client.GenerateAsync(p, maxTokens, RequestTimeout, onFirstToken: started.Add)).ToList();
        while (started.Count < 16)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        var busy = await client.WaitForStatusAsync(s => s.Running == 16, TimeSpan.FromSeconds(30));
        Assert.True(busy.KvCacheUsage > 0);

        var ids = started.ToArray();
        var cancelled = ids.Take(8).ToHashSet();
        // The survivors keep growing, so compare with the usage just before the cancels, not the first busy status.
        busy = await client.WaitForStatusAsync(s => s.Running == 16, TimeSpan.FromSeconds(30));
        foreach (string id in cancelled)
        {
            await client.CancelAsync(id);
        }
        // Blocks of a sequence in the step in flight come back when that step's result arrives: within a step.
        var afterCancel = await client.WaitForStatusAsync(
            s => s.Running <= 16 - cancelled.Count && s.KvCacheUsage < busy.KvCacheUsage, TimeSpan.FromSeconds(10));
        // The others are untouched: still running, or (on a very fast machine) done with every token they asked for.
        foreach (var request in requests.Where(r => r.IsCompleted))
        {
            var outcome = await request;
            if (!cancelled.Contains(outcome.RequestId))
            {
                Assert.Equal(FinishReason.Length, outcome.FinishReason);
                Assert.Equal(maxTokens, outcome.TokenIds.Count);
            }
        }
        Assert.True(afterCancel.Running >= 1 || requests.All(r => r.IsCompleted), "the requests that were not cancelled must still run");
        // The rest run to completion; then every block is free again.
        foreach (string id in ids.Except(cancelled))
        {
            await client.CancelAsync(id);
        }
        var outcomes = await Task.WhenAll(requests);
        Assert.All(outcomes.Where(o => cancelled.Contains(o.RequestId)), o =>
        {
            Assert.True(o.TokenIds.Count < maxTokens, "a cancelled request ran to max_tokens");
            Assert.Equal(FinishReason.Abort, o.FinishReason);
        });
        var idle = await client.WaitForStatusAsync(s => s.Running == 0 && s.Waiting == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0f, idle.KvCacheUsage);
    }

    [Fact]
    public async Task Killing_the_worker_fails_in_flight_requests_cleanly_and_a_restarted_worker_serves_again()
    {
        await using var cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions { StartGateway = false });
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = cluster.Nats.Url }, cancellationToken: TestContext.Current.CancellationToken);
        var client = new BusGenerationClient(bus, cluster.Model);
        int first = 0;
        var requests = Enumerable.Range(0, 8)
            .Select(i => client.GenerateAsync([1 + i, 2, 3, 4], 3000, RequestTimeout, onFirstToken: _ => Interlocked.Increment(ref first)))
            .ToList();
        while (Volatile.Read(ref first) < 8)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var killedAt = DateTime.UtcNow;
        cluster.Workers[0].Kill();
        var outcomes = await Task.WhenAll(requests);
        var failedWithin = DateTime.UtcNow - killedAt;

        Assert.All(outcomes, o =>
        {
            Assert.NotNull(o.Error);
            Assert.Equal(ErrorCode.WorkerFailed, o.Error!.Code);
            Assert.True(o.Error.Retryable);
        });
        Assert.True(failedWithin < TimeSpan.FromSeconds(10), $"in-flight requests took {failedWithin} to fail");

        var replacement = cluster.RestartWorker(0);
        await replacement.WaitForOutputAsync("Worker for", TimeSpan.FromSeconds(60));
        var after = await client.GenerateAsync([5, 6, 7], 8, RequestTimeout, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Null(after.Error);
        Assert.Equal(ReferenceGenerator.GreedyAlone(cluster.ModelDirectory, [5, 6, 7], 8), after.TokenIds);
        var idle = await client.WaitForStatusAsync(s => s.Running == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0f, idle.KvCacheUsage);
    }
}
