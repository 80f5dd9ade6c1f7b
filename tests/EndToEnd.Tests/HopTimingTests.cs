using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LlmServe.Contracts;
using LlmServe.TestSupport;

namespace LlmServe.EndToEnd.Tests;

/// <summary>
/// The per-hop timing breakdown (<c>x-llmserve-timing: 1</c>) through the real pipeline: gateway, tokenizer, scheduler,
/// worker and detokenizer each in its own process over a real nats-server, all stamping one machine's clock.
/// </summary>
public sealed class HopTimingTests(HopTimingClusterFixture fixture) : IClassFixture<HopTimingClusterFixture>
{
    private static readonly string[] FirstTokenHops =
    [
        "gateway_us", "gateway_to_tokenizer_us", "tokenizer_us", "tokenizer_to_scheduler_us", "scheduler_admit_us", "scheduler_queue_us",
        "worker_execute_us", "worker_bus_us", "scheduler_publish_us", "scheduler_to_detokenizer_us", "detokenizer_us",
        "detokenizer_to_gateway_us", "gateway_write_us",
    ];

    private static readonly string[] SteadyHops = FirstTokenHops[5..];

    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private object Body(bool stream, int maxTokens) => new
    {
        model = Cluster.Model,
        prompt = "Tell me a story about a fox and a crow.",
        max_tokens = maxTokens,
        min_tokens = maxTokens,
        ignore_eos = true,
        temperature = 0,
        stream,
        stream_options = stream ? new { include_usage = true } : null,
    };

    /// <summary>
    /// Sends a streamed completion; returns the JSON events, the client's TTFT (send → first chunk with text), and the wall-clock
    /// (Unix µs, this machine's clock, as the services stamp) of the send and of the first text's arrival.
    /// </summary>
    private async Task<(List<JsonNode> Events, double TtftUs, long SentUs, long FirstTextUs)> StreamAsync(bool timed, int maxTokens)
    {
        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(Body(true, maxTokens)) };
        if (timed)
        {
            message.Headers.Add("x-llmserve-timing", "1");
        }
        long sentUs = UnixMicros.Now();
        long sent = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var events = new List<JsonNode>();
        double ttftUs = 0;
        long firstTextUs = 0;
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
            {
                continue;
            }
            var node = JsonNode.Parse(line["data: ".Length..])!;
            if (ttftUs == 0 && node["choices"]!.AsArray() is [{ } choice, ..] && choice["text"]!.GetValue<string>().Length > 0)
            {
                ttftUs = Stopwatch.GetElapsedTime(sent).TotalMicroseconds;
                firstTextUs = UnixMicros.Now();
            }
            events.Add(node);
        }
        return (events, ttftUs, sentUs, firstTextUs);
    }

    private static void AssertHops(JsonNode hops, IEnumerable<string> names)
    {
        long sum = 0;
        foreach (string name in names)
        {
            Assert.True(hops[name] is not null, $"{name} missing in {hops.ToJsonString()}");
            double value = hops[name]!.GetValue<double>();
            Assert.True(value >= 0, $"{name} = {value}");
            sum += (long)Math.Round(value);
        }
        Assert.InRange(hops["total_us"]!.GetValue<double>(), sum - names.Count(), sum + names.Count());
    }

    [Fact]
    public async Task A_timed_stream_ends_with_a_breakdown_whose_hops_tile_the_servers_part_of_the_clients_ttft()
    {
        const int MaxTokens = 12;
        await StreamAsync(timed: false, MaxTokens); // warms the JIT of every hop

        var (events, ttftUs, sentUs, firstTextUs) = await StreamAsync(timed: true, MaxTokens);

        var timing = Assert.Single(events, e => e["llmserve_timing"] is not null)["llmserve_timing"]!;
        Assert.Same(events[^1]["llmserve_timing"], timing); // on the final chunk, with usage
        Assert.Equal(MaxTokens, events[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        var first = timing["first_token"]!;
        AssertHops(first, FirstTokenHops);
        Assert.Equal(0, timing["clamped"]!.GetValue<int>());
        Assert.True(first["worker_execute_us"]!.GetValue<long>() > 0, first.ToJsonString());

        // Every process stamps this machine's clock, so the breakdown sits inside the client's TTFT exactly: the hops tile the
        // gateway's arrival → the first text handed to the connection (no gap, no overlap), and what the client's TTFT adds
        // is the HTTP hop both ways (≥ 0, however loaded the machine). 2 ms covers the client's own two clock reads.
        long arrival = timing["arrival_unix_us"]!.GetValue<long>();
        long written = timing["first_token_written_unix_us"]!.GetValue<long>();
        long total = first["total_us"]!.GetValue<long>();
        Assert.Equal(written - arrival, total);
        string where = $"client sent {sentUs}, gateway arrival {arrival}, first text written {written}, client got it {firstTextUs}; TTFT {ttftUs:F0} µs, hops {total} µs";
        Assert.True(sentUs <= arrival + 2_000, where);
        Assert.True(written <= firstTextUs + 2_000, where);
        Assert.True(total <= ttftUs + 2_000, where);

        // One timed chunk per generated token; every one after the first text is a steady token with every step hop.
        Assert.Equal(MaxTokens, timing["tokens"]!.GetValue<int>());
        int steady = timing["steady_tokens"]!.GetValue<int>();
        Assert.InRange(steady, MaxTokens - 2, MaxTokens - 1);
        var mean = timing["per_token_mean"]!;
        Assert.All(SteadyHops, hop => Assert.True(mean[hop] is not null, $"{hop} missing in {mean.ToJsonString()}"));
        Assert.InRange(mean["total_us"]!.GetValue<double>(), SteadyHops.Sum(h => mean[h]!.GetValue<double>()) - 1, SteadyHops.Sum(h => mean[h]!.GetValue<double>()) + 1);
        var perToken = SteadyHops.ToDictionary(h => h, h => timing["per_token"]![h]!.AsArray().Select(v => v!.GetValue<long>()).ToList());
        Assert.All(perToken.Values, values => Assert.Equal(steady, values.Count));
        foreach (string hop in SteadyHops.Where(h => h != "worker_bus_us"))
        {
            Assert.All(perToken[hop], v => Assert.True(v >= 0, $"{hop} = {v}"));
        }
        // With async scheduling a step is planned ahead and its bus time is the result interval minus compute, negative when
        // the scheduler read the previous result late; the interval itself (queue + execute + bus) never is.
        for (int i = 0; i < steady; i++)
        {
            long cycle = perToken["scheduler_queue_us"][i] + perToken["worker_execute_us"][i] + perToken["worker_bus_us"][i];
            Assert.True(cycle >= 0, $"token {i}: cycle {cycle} µs");
        }
    }

    [Fact]
    public async Task Without_the_header_no_response_carries_a_breakdown()
    {
        var (events, _, _, _) = await StreamAsync(timed: false, 6);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Null(e["llmserve_timing"]));

        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        using var response = await http.PostAsJsonAsync("v1/completions", Body(false, 6), Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Null(JsonNode.Parse(text)!["llmserve_timing"]);
        Assert.DoesNotContain("llmserve_timing", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timed_non_streamed_response_carries_the_breakdown_in_its_body()
    {
        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(Body(false, 6)) };
        message.Headers.Add("x-llmserve-timing", "1");
        using var response = await http.SendAsync(message, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);

        var body = JsonNode.Parse(text)!;
        var timing = body["llmserve_timing"]!;
        AssertHops(timing["first_token"]!, FirstTokenHops);
        Assert.Equal(body["usage"]!["completion_tokens"]!.GetValue<int>(), timing["tokens"]!.GetValue<int>());
        // Not streamed: every token is written with the body at once, so each later token waited less for it.
        var writes = timing["per_token"]!["gateway_write_us"]!.AsArray().Select(v => v!.GetValue<long>()).ToList();
        Assert.NotEmpty(writes);
        Assert.Equal(writes.OrderDescending(), writes);
    }
}
