using System.Globalization;
using System.Text;
using LlmServe.Reliability.Tests.Load;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Faults;

/// <summary>
/// Kills (or freezes) one part of the running system under a steady load of streaming requests and checks that no
/// request hangs: each completes, possibly after a retry, or ends with a clear error; and that service comes back.
/// Every scenario leaves the cluster whole again for the next one.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FaultInjectionTests(FaultClusterFixture fixture)
{
    /// <summary>A request not finished after this is counted as hung (every deadline in the fixture is far shorter).</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http() => new() { BaseAddress = Cluster.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };

    private StreamingLoad Load(HttpClient http, int concurrency = 4, int seed = 1) =>
        new(new StreamingChatClient(http, Cluster.Model, HangLimit), concurrency, seed);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s";

    [Fact]
    public async Task Killing_one_of_three_tokenizers_loses_no_request()
    {
        using var http = Http();
        await using var load = Load(http, seed: 11).Start();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        // Frozen first, so requests are really in flight on it (delivered, never acknowledged) when it dies.
        var victim = Cluster.Tokenizers[0];
        // Counted from here: the gateway's kept output is bounded and earlier scenarios may have retried too.
        OutputWatch retries = Cluster.Gateway!.Watch("Tokenize hop: try");
        ServiceSignals.Freeze(victim);
        // Under load a third of new requests land on it; wait for the first one the gateway had to send again, however
        // slow the machine, instead of hoping one arrives within a fixed window.
        await retries.WaitAsync(1, TimeSpan.FromSeconds(40));
        var killedAt = DateTime.UtcNow;
        victim.Kill();
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        var outcomes = await load.StopAsync();

        var tally = new LoadTally(outcomes);
        var after = outcomes.Where(o => o.Started > killedAt.AddSeconds(0.5)).ToList();
        DumpLogs();
        ScenarioReport.Write("tokenizer-kill", $"{tally}; tokenize retries={retries.Count}; sent after kill={after.Count}, completed={after.Count(o => o.Kind == OutcomeKind.Completed)}");

        Assert.Equal(0, tally.Hung);
        Assert.All(outcomes.Where(o => o.Kind == OutcomeKind.Failed), o => Assert.True(o.Retryable, $"non-retryable failure {o}"));
        Assert.True(retries.Count > 0, "no request was in flight on the frozen tokenizer, so the retry was not exercised");
        Assert.NotEmpty(after);
        Assert.All(after, o => Assert.Equal(OutcomeKind.Completed, o.Kind));

        var replacement = Cluster.Restart(victim);
        await replacement.WaitForOutputAsync("Tokenizer ready", ReadyTimeout);
    }

    [Fact]
    public async Task Killing_one_of_two_detokenizers_ends_its_streams_with_a_retryable_error_and_its_replacement_serves()
    {
        using var http = Http();
        await using var load = Load(http, seed: 12).Start();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        var victim = Cluster.Detokenizers[1];
        victim.Kill();
        var killedAt = DateTime.UtcNow;
        // Streams already on the dead shard cannot be recovered (their text state is gone); new requests of that shard
        // are refused at once until the replacement (started at once, as an orchestrator would) is up.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var replacement = Cluster.Restart(victim);
        await replacement.WaitForOutputAsync("Detokenizer ready", ReadyTimeout);
        var readyAt = DateTime.UtcNow;
        await Task.Delay(FaultClusterFixture.StreamIdleTimeout + TimeSpan.FromSeconds(2), Ct);
        var outcomes = await load.StopAsync();

        var tally = new LoadTally(outcomes);
        var inFlight = outcomes.Where(o => o.Started < killedAt && o.Ended > killedAt).ToList();
        var whileDown = outcomes.Where(o => o.Started > killedAt.AddSeconds(0.5) && o.Ended < readyAt).ToList();
        var later = outcomes.Where(o => o.Started > readyAt.AddSeconds(0.5)).ToList();
        var slowestRefusal = whileDown.Where(o => o.Kind == OutcomeKind.Failed).Select(o => o.Duration).DefaultIfEmpty().Max();
        DumpLogs();
        ScenarioReport.Write("detokenizer-kill", $"{tally}; in flight at kill={inFlight.Count} (completed {inFlight.Count(o => o.Kind == OutcomeKind.Completed)}); while down: sent={whileDown.Count}, completed={whileDown.Count(o => o.Kind == OutcomeKind.Completed)}, refused in at most {Seconds(slowestRefusal)}; replacement ready after {Seconds(readyAt - killedAt)}; sent after it={later.Count}, completed={later.Count(o => o.Kind == OutcomeKind.Completed)}");

        Assert.Equal(0, tally.Hung);
        Assert.All(outcomes.Where(o => o.Kind == OutcomeKind.Failed), o =>
        {
            Assert.True(o.Retryable, $"non-retryable failure {o}");
            Assert.True(o.Duration < FaultClusterFixture.FirstTokenTimeout + TimeSpan.FromSeconds(10), $"failure took {o.Duration}");
        });
        Assert.True(slowestRefusal < TimeSpan.FromSeconds(5), $"a request on the dead shard took {slowestRefusal} to be refused");
        Assert.NotEmpty(later);
        Assert.All(later, o => Assert.Equal(OutcomeKind.Completed, o.Kind));
    }

    [Fact]
    public async Task Restarting_nats_server_every_service_reconnects_and_serves_again()
    {
        using var http = Http();
        await using var load = Load(http, seed: 13).Start();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        await Cluster.Nats.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await Cluster.Nats.RestartAsync();
        var returnedAt = DateTime.UtcNow;
        var recovery = await FirstSuccessAfterAsync(http, returnedAt, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(4), Ct);
        var outcomes = await load.StopAsync();

        var tally = new LoadTally(outcomes);
        var later = outcomes.Where(o => o.Started > returnedAt + recovery + TimeSpan.FromSeconds(1)).ToList();
        DumpLogs();
        ScenarioReport.Write("nats-restart", $"{tally}; outage 3 s; serving again {Seconds(recovery)} after the server's return; sent after that={later.Count}, completed={later.Count(o => o.Kind == OutcomeKind.Completed)}");

        Assert.Equal(0, tally.Hung);
        // Target 5 s; the bound leaves room for a loaded 2-core CI machine.
        Assert.True(recovery < TimeSpan.FromSeconds(15), $"serving again took {recovery} after nats-server returned");
        Assert.NotEmpty(later);
        Assert.All(later, o => Assert.Equal(OutcomeKind.Completed, o.Kind));
        await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Killing_a_worker_stage_fails_its_requests_within_the_heartbeat_timeout_and_leaks_no_blocks(int stage)
    {
        using var http = Http();
        await using var load = Load(http, seed: 14 + stage).Start();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        var victim = Cluster.Workers[stage];
        victim.Kill();
        // Taken once the process is gone (killing a process tree takes a moment on a busy machine).
        var killedAt = DateTime.UtcNow;
        await Task.Delay(FaultClusterFixture.WorkerTimeout + TimeSpan.FromSeconds(2), Ct);
        var replacement = Cluster.Restart(victim);
        await replacement.WaitForOutputAsync("Worker for", ReadyTimeout);
        var restartedAt = DateTime.UtcNow;
        var recovery = await FirstSuccessAfterAsync(http, restartedAt, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        var outcomes = await load.StopAsync();
        var idle = await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(20));

        var tally = new LoadTally(outcomes);
        var inFlight = outcomes.Where(o => o.Started < killedAt && o.Ended > killedAt && o.Kind == OutcomeKind.Failed).ToList();
        var toldAfter = inFlight.Select(o => o.Ended - killedAt).DefaultIfEmpty().Max();
        DumpLogs();
        ScenarioReport.Write($"worker-stage{stage}-kill", $"{tally}; in-flight failed={inFlight.Count}, last told {Seconds(toldAfter)} after the kill; serving {Seconds(recovery)} after the worker loaded; KV usage after={idle.KvCacheUsage}, blocks={idle.KvBlocksTotal}; failures (start, end) after the kill: "
            + string.Join(" ", outcomes.Where(o => o.Kind == OutcomeKind.Failed).Select(o => $"({(o.Started - killedAt).TotalSeconds:F1},{(o.Ended - killedAt).TotalSeconds:F1} {o.Error})")));

        Assert.Equal(0, tally.Hung);
        Assert.NotEmpty(inFlight);
        Assert.All(inFlight, o => Assert.Contains(o.Error, new[] { "worker_failed", "no_workers" }));
        Assert.True(toldAfter < FaultClusterFixture.WorkerTimeout + TimeSpan.FromSeconds(10), $"in-flight requests were told {toldAfter} after the kill");
        Assert.Equal(0f, idle.KvCacheUsage);
    }

    [Fact]
    public async Task Killing_the_scheduler_answers_503_at_once_and_its_restart_serves_again()
    {
        using var http = Http();
        await using var load = Load(http, seed: 16).Start();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);

        var victim = Cluster.Scheduler;
        victim.Kill();
        var killedAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(FaultClusterFixture.StreamIdleTimeout.TotalSeconds + 2), Ct);
        var restartAt = DateTime.UtcNow;
        var replacement = Cluster.Restart(victim);
        await replacement.WaitForOutputAsync("KV cache:", ReadyTimeout);
        var recovery = await FirstSuccessAfterAsync(http, restartAt, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        var outcomes = await load.StopAsync();

        var tally = new LoadTally(outcomes);
        var during = outcomes.Where(o => o.Started > killedAt.AddSeconds(0.5) && o.Ended < restartAt).ToList();
        var slowest503 = during.Select(o => o.Duration).DefaultIfEmpty().Max();
        DumpLogs();
        ScenarioReport.Write("scheduler-kill", $"{tally}; sent while down={during.Count}, answered 503 in at most {Seconds(slowest503)}; serving {Seconds(recovery)} after the restart began");

        Assert.Equal(0, tally.Hung);
        Assert.NotEmpty(during);
        Assert.All(during, o =>
        {
            Assert.Equal(OutcomeKind.Failed, o.Kind);
            Assert.Equal(503, o.Status);
        });
        Assert.True(slowest503 < TimeSpan.FromSeconds(5), $"a 503 took {slowest503}");
        // Requests the dead scheduler held before their first token can only end at the first-token timeout.
        Assert.All(outcomes, o => Assert.True(o.Duration < FaultClusterFixture.FirstTokenTimeout + TimeSpan.FromSeconds(10), $"{o}"));
        await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_client_that_disconnects_or_stops_reading_has_its_request_cancelled_and_gateway_memory_stays_bounded()
    {
        var gateway = Cluster.Gateway!;
        long before = gateway.ResidentBytes;

        // 1. Clients that go away mid-stream.
        using var http = Http();
        var streams = new List<(HttpResponseMessage Response, Stream Body)>();
        for (int i = 0; i < 6; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = LongRequest(i) };
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            var body = await response.Content.ReadAsStreamAsync(Ct);
            await body.ReadExactlyAsync(new byte[64], Ct);
            streams.Add((response, body));
        }
        // All six in the scheduler when their clients go; some may wait preempted (six long requests outgrow the
        // fixture's 512 blocks), which is still in flight.
        await fixture.Status.WaitForAsync(s => s.Running + s.Waiting >= 6, TimeSpan.FromSeconds(30));
        var goneAt = DateTime.UtcNow;
        foreach (var (response, body) in streams)
        {
            await body.DisposeAsync();
            response.Dispose();
        }
        await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        var freedAfterDisconnect = DateTime.UtcNow - goneAt;

        // 2. Clients that keep the connection but stop reading: the gateway must not buffer without bound.
        var sockets = new List<System.Net.Sockets.Socket>();
        for (int i = 0; i < 6; i++)
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, Cluster.HttpPort, Ct);
            string body = await LongRequest(100 + i).ReadAsStringAsync(Ct);
            string head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n";
            await socket.SendAsync(Encoding.UTF8.GetBytes(head + body), Ct);
            sockets.Add(socket);
        }
        long peak = before;
        var stalledAt = DateTime.UtcNow;
        while (DateTime.UtcNow - stalledAt < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500, Ct);
            peak = Math.Max(peak, gateway.ResidentBytes);
        }
        var closedAt = DateTime.UtcNow;
        foreach (var socket in sockets)
        {
            socket.Close(0);
        }
        await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        var freedAfterClose = DateTime.UtcNow - closedAt;
        long after = gateway.ResidentBytes;

        DumpLogs();
        ScenarioReport.Write("slow-client", $"6 clients gone mid-stream: every block free {Seconds(freedAfterDisconnect)} later; 6 clients not reading for 10 s: gateway RSS {before >> 20} MiB before, peak {peak >> 20} MiB, {after >> 20} MiB after; every block free {Seconds(freedAfterClose)} after they closed");
        Assert.True(peak - before < 200L << 20, $"the gateway grew {(peak - before) >> 20} MiB while clients did not read");
        Assert.False(gateway.HasExited);
    }

    /// <summary>A streamed request with long output and big chunks (top logprobs), so unread output piles up fast.</summary>
    private StringContent LongRequest(int seed) => new(System.Text.Json.JsonSerializer.Serialize(new
    {
        model = Cluster.Model,
        messages = new[] { new { role = "user", content = $"tell a long story {seed}" } },
        max_tokens = 3500, // still streaming when the test acts, however fast the machine (max_model_len is 4096)
        ignore_eos = true, // the tiny model emits its end-of-sequence token early for some prompts
        temperature = 0,
        logprobs = true,
        top_logprobs = 5,
        stream = true,
    }), Encoding.UTF8, "application/json");

    /// <summary>With LLMSERVE_RELIABILITY_LOGS set to a folder, keeps every service's output of the scenario there.</summary>
    private void DumpLogs([System.Runtime.CompilerServices.CallerMemberName] string scenario = "")
    {
        if (Environment.GetEnvironmentVariable("LLMSERVE_RELIABILITY_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, scenario + ".log"), Cluster.Logs);
        }
    }

    /// <summary>Sends short requests one after another until one completes; returns how long after <paramref name="from"/> that was.</summary>
    private async Task<TimeSpan> FirstSuccessAfterAsync(HttpClient http, DateTime from, TimeSpan limit)
    {
        var client = new StreamingChatClient(http, Cluster.Model, TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow - from < limit)
        {
            var outcome = await client.SendAsync("probe", 4, stream: true, Ct);
            if (outcome.Kind == OutcomeKind.Completed)
            {
                return outcome.Ended - from;
            }
            await Task.Delay(50, Ct);
        }
        throw new TimeoutException($"no request succeeded within {limit}:\n{Cluster.Logs}");
    }
}
