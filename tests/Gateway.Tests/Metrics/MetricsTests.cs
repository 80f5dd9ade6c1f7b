using System.Net;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.Metrics;

/// <summary>/metrics in Prometheus text format with vLLM-like names.</summary>
public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_expose_latency_histograms_token_counters_and_replica_gauges()
    {
        await using var host = await GatewayHost.StartAsync();
        using (var ok = await host.Client.PostAsync("v1/chat/completions", Requests.Chat))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var bad = await host.Client.PostAsync("v1/chat/completions", "{"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var status = new SchedulerStatus
        {
            Model = GatewayHost.Model, ReplicaId = "r0", Running = 7, Waiting = 2, KvCacheUsage = 0.5f,
            PrefixCacheQueries = 100, PrefixCacheHits = 40, Serving = true, WorkersReady = 1,
        };
        await host.PublishStatusUntilAsync(async () =>
        {
            using var ready = await host.Client.GetAsync("ready", Ct);
            return (await ready.Content.ReadAsStringAsync(Ct)).Contains(GatewayHost.OtherModel, StringComparison.Ordinal)
                && !(await ready.Content.ReadAsStringAsync(Ct)).Contains("\"" + GatewayHost.Model + "\"", StringComparison.Ordinal);
        }, status);

        using var response = await host.Client.GetAsync("metrics", Ct);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Contains("# TYPE llmserve:e2e_request_latency_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:e2e_request_latency_seconds_count{model_name=\"test-model\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:time_to_first_token_seconds_bucket{model_name=\"test-model\",le=\"+Inf\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:time_per_output_token_seconds_count{model_name=\"test-model\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE llmserve:prompt_tokens_total counter", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:prompt_tokens_total{model_name=\"test-model\"} 5", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:generation_tokens_total{model_name=\"test-model\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:request_success_total{finished_reason=\"stop\",model_name=\"test-model\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:num_requests_running{model_name=\"test-model\",replica=\"r0\"} 7", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:num_requests_waiting{model_name=\"test-model\",replica=\"r0\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:kv_cache_usage_perc{model_name=\"test-model\",replica=\"r0\"} 0.5", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:prefix_cache_hits_total{model_name=\"test-model\",replica=\"r0\"} 40", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:prefix_cache_queries_total{model_name=\"test-model\",replica=\"r0\"} 100", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:http_requests_total{path=\"/v1/chat/completions\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("llmserve:http_requests_total{path=\"/v1/chat/completions\",status=\"400\"} 1", text, StringComparison.Ordinal);

        // Every sample line is "name{labels} value" or "name value"; a quoted label value may hold braces (a route template
        // such as /v1/models/{id}, recorded when another test's host in this process served that route).
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            Assert.Matches(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([^""}]|""([^""\\]|\\.)*"")*\})? [-+0-9.eE]+|[-+]Inf|NaN$", line);
        }
    }
}
