using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmServe.Messaging;
using LlmServe.TestSupport;
using OpenAI;
using OpenAI.Chat;

namespace LlmServe.EndToEnd.Tests;

/// <summary>Starts the whole system once (every service its own process, real nats-server) for the API tests.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public PipelineCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await PipelineCluster.StartAsync();

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The OpenAI-compatible API end to end: official .NET SDK and raw HTTP against every service in its own process.</summary>
public sealed class OpenAiApiTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ChatClient Chat() => new(Cluster.Model, new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(Cluster.BaseAddress, "v1") });

    private HttpClient Http() => new() { BaseAddress = Cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };

    private async Task<JsonNode> PostJsonAsync(string path, object body)
    {
        using var http = Http();
        using var response = await http.PostAsJsonAsync(path, body, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Sdk_chat_completion_reports_usage_that_equals_the_token_counts()
    {
        var messages = new ChatMessage[] { new SystemChatMessage("You are terse."), new UserChatMessage("Say something.") };
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12, IncludeLogProbabilities = true };

        ChatCompletion completion = await Chat().CompleteChatAsync(messages, options, Ct);

        var tokenized = await PostJsonAsync("tokenize", new
        {
            model = Cluster.Model,
            messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = "Say something." } },
            add_generation_prompt = true,
        });
        Assert.Equal(tokenized["count"]!.GetValue<int>(), completion.Usage.InputTokenCount);
        Assert.Equal(completion.ContentTokenLogProbabilities.Count, completion.Usage.OutputTokenCount);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 12);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Contains(completion.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
    }

    [Fact]
    public async Task Sdk_streaming_chat_yields_the_same_text_as_the_non_streaming_answer()
    {
        var messages = new ChatMessage[] { new UserChatMessage("Tell me a story about a fox.") };
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 20 };
        ChatCompletion whole = await Chat().CompleteChatAsync(messages, options, Ct);

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync(messages, options, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(whole.FinishReason, finish);
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible_and_n_2_returns_two_choices()
    {
        object Body(int seed) => new
        {
            model = Cluster.Model,
            messages = new[] { new { role = "user", content = "Pick words." } },
            temperature = 1.0,
            seed,
            n = 2,
            max_tokens = 16,
            ignore_eos = true,
        };
        var first = await PostJsonAsync("v1/chat/completions", Body(1234));
        var again = await PostJsonAsync("v1/chat/completions", Body(1234));
        var other = await PostJsonAsync("v1/chat/completions", Body(99));

        var choices = first["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        Assert.Equal([0, 1], choices.Select(c => c!["index"]!.GetValue<int>()));
        Assert.Equal(first["choices"]!.ToJsonString(), again["choices"]!.ToJsonString());
        Assert.NotEqual(first["choices"]!.ToJsonString(), other["choices"]!.ToJsonString());
        Assert.Equal(32, first["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Chat_logprobs_give_each_token_and_its_top_alternatives()
    {
        var response = await PostJsonAsync("v1/chat/completions", new
        {
            model = Cluster.Model,
            messages = new[] { new { role = "user", content = "Hi" } },
            temperature = 0,
            max_tokens = 6,
            ignore_eos = true,
            logprobs = true,
            top_logprobs = 3,
        });
        var content = response["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.Equal(6, content.Count);
        foreach (var entry in content)
        {
            double logprob = entry!["logprob"]!.GetValue<double>();
            Assert.InRange(logprob, double.NegativeInfinity, 0);
            var top = entry["top_logprobs"]!.AsArray();
            Assert.Equal(3, top.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(top[0]!["logprob"]!.GetValue<double>(), logprob, 4);
        }
        string text = response["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(text, string.Concat(content.Select(e => e!["token"]!.GetValue<string>())));
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_and_reports_stop()
    {
        object Body(string[]? stop) => new
        {
            model = Cluster.Model,
            prompt = "Once upon a time",
            temperature = 0,
            max_tokens = 40,
            ignore_eos = true,
            stop,
        };
        var full = await PostJsonAsync("v1/completions", Body(null));
        string text = full["choices"]![0]!["text"]!.GetValue<string>();
        Assert.True(text.Length > 10, $"greedy text too short to pick a stop string from: '{text}'");
        string stop = text.Substring(text.Length / 2, 2);
        string expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await PostJsonAsync("v1/completions", Body([stop, "never-appears-xyz"]));

        Assert.Equal(expected, stopped["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("stop", stopped["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Completions_accept_token_id_prompts_and_echo()
    {
        var response = await PostJsonAsync("v1/completions", new
        {
            model = Cluster.Model,
            prompt = new[] { 40, 41, 42 },
            temperature = 0,
            max_tokens = 4,
            ignore_eos = true,
            echo = true,
        });
        Assert.Equal(3, response["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(4, response["usage"]!["completion_tokens"]!.GetValue<int>());
        var detok = await PostJsonAsync("detokenize", new { model = Cluster.Model, tokens = new[] { 40, 41, 42 } });
        Assert.StartsWith(detok["prompt"]!.GetValue<string>(), response["choices"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_prompt_reports_its_prefix_cache_hits_as_cached_tokens()
    {
        object Body() => new
        {
            model = Cluster.Model,
            messages = new[] { new { role = "user", content = "A prompt long enough to fill two or three whole KV blocks of sixteen tokens each, repeated." } },
            max_tokens = 2,
        };
        var first = await PostJsonAsync("v1/chat/completions", Body());
        var second = await PostJsonAsync("v1/chat/completions", Body());

        int prompt = second["usage"]!["prompt_tokens"]!.GetValue<int>();
        int cached = second["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>();
        Assert.Equal(first["usage"]!["prompt_tokens"]!.GetValue<int>(), prompt);
        // Every full block of the prompt is reused (the last, partial block is always recomputed).
        Assert.Equal((prompt - 1) / 16 * 16, cached);
    }

    [Fact]
    public async Task Raw_sse_stream_is_framed_exactly_like_openai()
    {
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = Cluster.Model,
                messages = new[] { new { role = "user", content = "Stream please" } },
                max_tokens = 5,
                ignore_eos = true,
                stream = true,
                stream_options = new { include_usage = true },
            }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        string body = await response.Content.ReadAsStringAsync(Ct);

        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.Single(chunks.Select(c => c["id"]!.GetValue<string>()).Distinct());
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        var finals = chunks.Where(c => c["choices"]!.AsArray().Count > 0 && c["choices"]![0]!["finish_reason"] is JsonValue).ToList();
        Assert.Single(finals);
        Assert.Equal("length", finals[0]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(5, usage["usage"]!["completion_tokens"]!.GetValue<int>());
        string content = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray())
            .Select(ch => ch!["delta"]?["content"]?.GetValue<string>() ?? string.Empty));
        Assert.NotNull(content);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_blocks()
    {
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = Cluster.Nats.Url }, cancellationToken: Ct);
        var observer = new BusGenerationClient(bus, Cluster.Model);
        using var http = Http();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = Cluster.Model,
                messages = new[] { new { role = "user", content = "Go on forever" } },
                max_tokens = 3000,
                ignore_eos = true,
                stream = true,
            }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        await using var stream = await response.Content.ReadAsStreamAsync(abort.Token);
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer, abort.Token) > 0);
        var running = await observer.WaitForStatusAsync(s => s.Running >= 1 && s.KvCacheUsage > 0, TimeSpan.FromSeconds(10));

        await abort.CancelAsync();
        response.Dispose();

        var idle = await observer.WaitForStatusAsync(s => s.Running == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(0f, idle.KvCacheUsage);
        Assert.True(running.Running >= 1);
    }
}
