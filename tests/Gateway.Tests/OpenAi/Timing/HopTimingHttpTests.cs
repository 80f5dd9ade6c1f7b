using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.OpenAi.Timing;

/// <summary>
/// The gateway's side of per-hop timing over HTTP, with a fake pipeline that stamps like the real one: the header turns the
/// request's timing flag on, and the breakdown comes back on the final chunk or in the body, computed from the stamps.
/// </summary>
public sealed class HopTimingHttpTests : IAsyncLifetime
{
    private GatewayHost _host = null!;
    private readonly ConcurrentQueue<(RequestTiming Request, StepTiming[] Steps)> _sent = new();

    public async ValueTask InitializeAsync()
    {
        _host = await GatewayHost.StartAsync();
        _host.Pipeline.Respond = StampingScript;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Three words, each chunk stamped as if it came through the scheduler and detokenizer (stamps in the past when sent).</summary>
    private async Task StampingScript(TokenizeRequest request, Func<ResponseChunk, Task> send, CancellationToken cancellationToken)
    {
        long start = UnixMicros.Now(); // after the gateway published the request
        var requestTiming = new RequestTiming
        {
            TokenizerReceivedUs = start, TokenizerPublishedUs = start + 100, SchedulerReceivedUs = start + 200, SchedulerAdmittedUs = start + 300,
        };
        var steps = new StepTiming[FakePipeline.Words.Length];
        for (int i = 0; i < steps.Length; i++)
        {
            await Task.Delay(5, cancellationToken);
            long t = UnixMicros.Now() - 1_000;
            steps[i] = new StepTiming
            {
                StepId = (ulong)i + 1, PlanPublishedUs = t, WorkerExecuteUs = 50, ResultReceivedUs = t + 200, DeltaPublishedUs = t + 300,
                DetokenizerReceivedUs = t + 400, DetokenizerPublishedUs = t + 500,
            };
            var chunk = new ResponseChunk { RequestTiming = requestTiming, StepTiming = steps[i].Clone() };
            chunk.Choices.Add(FakePipeline.Choice(request, 0, i, i == steps.Length - 1 ? FinishReason.Stop : FinishReason.None));
            if (i == steps.Length - 1)
            {
                chunk.Usage = new Usage { PromptTokens = 5, CompletionTokens = steps.Length };
                chunk.Done = true;
            }
            await send(chunk);
        }
        _sent.Enqueue((requestTiming, steps));
    }

    private async Task<HttpResponseMessage> PostAsync(string json, bool timed)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = Requests.Json(json) };
        if (timed)
        {
            message.Headers.Add("x-llmserve-timing", "1");
        }
        return await _host.Client.SendAsync(message, Ct);
    }

    [Fact]
    public async Task With_the_header_a_stream_without_usage_ends_with_a_chunk_holding_only_the_breakdown()
    {
        using var response = await PostAsync("""{"model":"test-model","prompt":"Once upon","stream":true}""", timed: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        Assert.True(Assert.Single(_host.Pipeline.Requests).Context.Timing);
        Assert.All(events.Take(events.Count - 1), e => Assert.False(e.TryGetProperty("llmserve_timing", out _)));
        var last = events[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.False(last.TryGetProperty("usage", out _));
        var timing = last.GetProperty("llmserve_timing");
        var (request, steps) = Assert.Single(_sent);

        var first = timing.GetProperty("first_token");
        Assert.Equal(100, first.GetProperty("tokenizer_us").GetInt64());
        Assert.Equal(100, first.GetProperty("tokenizer_to_scheduler_us").GetInt64());
        Assert.Equal(100, first.GetProperty("scheduler_admit_us").GetInt64());
        Assert.Equal(steps[0].PlanPublishedUs - request.SchedulerAdmittedUs, first.GetProperty("scheduler_queue_us").GetInt64());
        Assert.Equal(50, first.GetProperty("worker_execute_us").GetInt64());
        Assert.Equal(150, first.GetProperty("worker_bus_us").GetInt64());
        Assert.Equal(100, first.GetProperty("detokenizer_us").GetInt64());
        foreach (string gatewayHop in new[] { "gateway_us", "gateway_to_tokenizer_us", "detokenizer_to_gateway_us", "gateway_write_us" })
        {
            Assert.True(first.GetProperty(gatewayHop).GetInt64() >= 0, gatewayHop);
        }
        Assert.Equal(0, timing.GetProperty("clamped").GetInt32());
        Assert.Equal(3, timing.GetProperty("tokens").GetInt32());
        Assert.Equal(2, timing.GetProperty("steady_tokens").GetInt32());
        Assert.Equal([steps[1].PlanPublishedUs - steps[0].ResultReceivedUs, steps[2].PlanPublishedUs - steps[1].ResultReceivedUs],
            timing.GetProperty("per_token").GetProperty("scheduler_queue_us").EnumerateArray().Select(v => v.GetInt64()));
    }

    [Fact]
    public async Task With_the_header_the_usage_chunk_and_a_non_streamed_body_carry_the_breakdown()
    {
        using (var streamed = await PostAsync("""{"model":"test-model","prompt":"Once upon","stream":true,"stream_options":{"include_usage":true}}""", timed: true))
        {
            var last = Sse.Json(await streamed.Content.ReadAsStringAsync(Ct))[^1];
            Assert.Equal(3, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal(3, last.GetProperty("llmserve_timing").GetProperty("tokens").GetInt32());
        }

        using var whole = await PostAsync(Requests.Completion, timed: true);
        using var body = JsonDocument.Parse(await whole.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Hello world!", body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        var timing = body.RootElement.GetProperty("llmserve_timing");
        Assert.Equal(14, timing.GetProperty("first_token").EnumerateObject().Count());
        Assert.Equal(3, timing.GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task Without_the_header_the_flag_is_off_and_no_breakdown_is_returned_even_if_stamps_arrive()
    {
        using (var streamed = await PostAsync("""{"model":"test-model","prompt":"Once upon","stream":true,"stream_options":{"include_usage":true}}""", timed: false))
        {
            string text = await streamed.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain("llmserve_timing", text, StringComparison.Ordinal);
            var last = Sse.Json(text)[^1]; // the usage chunk, as without timing: no extra chunk
            Assert.Equal(3, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        using var whole = await PostAsync(Requests.Completion, timed: false);
        Assert.DoesNotContain("llmserve_timing", await whole.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.All(_host.Pipeline.Requests, r => Assert.False(r.Context.Timing));
    }
}
