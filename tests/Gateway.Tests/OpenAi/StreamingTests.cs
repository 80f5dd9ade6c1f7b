using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.OpenAi;

/// <summary>Raw HTTP checks of the exact SSE framing and chunk shapes, chat and completions.</summary>
public sealed class StreamingTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chat_stream_is_role_chunk_deltas_finish_chunk_usage_chunk_then_done()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
        string body = await response.Content.ReadAsStringAsync(Ct);
        var events = Sse.Json(body);

        // role, 3 content deltas, finish, usage
        Assert.Equal(6, events.Count);
        string id = events[0].GetProperty("id").GetString()!;
        Assert.StartsWith("chatcmpl-", id, StringComparison.Ordinal);
        foreach (var e in events)
        {
            Assert.Equal(id, e.GetProperty("id").GetString());
            Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString());
            Assert.Equal("test-model", e.GetProperty("model").GetString());
            Assert.True(e.GetProperty("created").GetInt64() > 1_700_000_000);
            Assert.Equal(JsonValueKind.Null, e.GetProperty("system_fingerprint").ValueKind);
        }

        var role = events[0].GetProperty("choices")[0];
        Assert.Equal(0, role.GetProperty("index").GetInt32());
        Assert.Equal("assistant", role.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", role.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, role.GetProperty("finish_reason").ValueKind);

        for (int i = 1; i <= 3; i++)
        {
            var delta = events[i].GetProperty("choices")[0];
            Assert.Equal(FakePipeline.Words[i - 1], delta.GetProperty("delta").GetProperty("content").GetString());
            Assert.False(delta.GetProperty("delta").TryGetProperty("role", out _));
            Assert.Equal(JsonValueKind.Null, delta.GetProperty("finish_reason").ValueKind);
            Assert.Equal(JsonValueKind.Null, events[i].GetProperty("usage").ValueKind);
        }

        var finish = events[4].GetProperty("choices")[0];
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        Assert.Empty(finish.GetProperty("delta").EnumerateObject());

        var usage = events[5];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_stream_without_include_usage_has_no_usage_chunk()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true}""");
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.False(e.TryGetProperty("usage", out _)));
        Assert.All(events, e => Assert.Equal(1, e.GetProperty("choices").GetArrayLength()));
    }

    [Fact]
    public async Task Chat_stream_with_n_2_streams_both_choices_by_index()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true,"n":2,"stream_options":{"include_usage":true}}""");
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        var choices = events.Where(e => e.GetProperty("choices").GetArrayLength() == 1)
            .Select(e => e.GetProperty("choices")[0]).ToList();
        foreach (int index in new[] { 0, 1 })
        {
            var mine = choices.Where(c => c.GetProperty("index").GetInt32() == index).ToList();
            Assert.Equal("assistant", mine[0].GetProperty("delta").GetProperty("role").GetString());
            string text = string.Concat(mine.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
            Assert.Equal("Hello world!", text);
            Assert.Equal("stop", mine[^1].GetProperty("finish_reason").GetString());
        }
        Assert.Equal(6, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(_host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.Equal(2, sent.N);
    }

    [Fact]
    public async Task Chat_non_streaming_with_n_2_has_two_choices()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"n":2}""");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var choices = json.RootElement.GetProperty("choices");
        Assert.Equal(2, choices.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(i, choices[i].GetProperty("index").GetInt32());
            Assert.Equal("Hello world!", choices[i].GetProperty("message").GetProperty("content").GetString());
            Assert.Equal("assistant", choices[i].GetProperty("message").GetProperty("role").GetString());
        }
        Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Chat_stream_logprobs_have_token_logprob_bytes_and_top_logprobs()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true,"logprobs":true,"top_logprobs":2}""");
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        var content = events[1].GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        Assert.Equal(1, content.GetArrayLength());
        var entry = content[0];
        Assert.Equal("Hello", entry.GetProperty("token").GetString());
        Assert.Equal(-0.25, entry.GetProperty("logprob").GetDouble(), 5);
        Assert.Equal("Hello"u8.ToArray(), entry.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray());
        var top = entry.GetProperty("top_logprobs");
        Assert.Equal(2, top.GetArrayLength());
        Assert.Equal("Hello", top[0].GetProperty("token").GetString());
        Assert.Equal("token_id:901", top[1].GetProperty("token").GetString());
        Assert.Equal(JsonValueKind.Null, top[1].GetProperty("bytes").ValueKind);
        Assert.Equal(-4.0, top[1].GetProperty("logprob").GetDouble(), 5);
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task Completions_logprobs_have_tokens_token_logprobs_top_logprobs_and_text_offset()
    {
        using var response = await _host.Client.PostAsync("v1/completions",
            """{"model":"test-model","prompt":"Once","logprobs":2}""");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var logprobs = json.RootElement.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(FakePipeline.Words, logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToArray());
        Assert.Equal([-0.25, -0.5, -0.75], logprobs.GetProperty("token_logprobs").EnumerateArray().Select(t => t.GetDouble()).ToArray());
        Assert.Equal([0, 5, 11], logprobs.GetProperty("text_offset").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        var top0 = logprobs.GetProperty("top_logprobs")[0];
        Assert.Equal(-0.25, top0.GetProperty("Hello").GetDouble(), 5);
        Assert.Equal(-4.0, top0.GetProperty("token_id:901").GetDouble(), 5);
        Assert.True(_host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.True(sent.Sampling.Logprobs);
        Assert.Equal(2, sent.Sampling.TopLogprobs);
    }

    [Fact]
    public async Task Completions_stream_carries_text_offsets_across_chunks()
    {
        using var response = await _host.Client.PostAsync("v1/completions",
            """{"model":"test-model","prompt":"Once","logprobs":0,"stream":true}""");
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(3, events.Count);
        var offsets = events.Select(e => e.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("text_offset")[0].GetInt32());
        Assert.Equal([0, 5, 11], offsets);
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("choices")[0].GetProperty("logprobs").GetProperty("top_logprobs")[0].ValueKind);
        Assert.All(events, e => Assert.Equal("text_completion", e.GetProperty("object").GetString()));
        Assert.StartsWith("cmpl-", events[0].GetProperty("id").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_prompt_list_becomes_one_request_per_prompt_with_n_choices_each()
    {
        using var response = await _host.Client.PostAsync("v1/completions",
            """{"model":"test-model","prompt":["a","b"],"n":2}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var choices = json.RootElement.GetProperty("choices");
        Assert.Equal(4, choices.GetArrayLength());
        Assert.All(choices.EnumerateArray(), c => Assert.Equal("Hello world!", c.GetProperty("text").GetString()));
        Assert.Equal([0, 1, 2, 3], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        // Usage adds up over both prompts.
        Assert.Equal(10, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(12, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var sent = _host.Pipeline.Requests.ToArray();
        Assert.Equal(2, sent.Length);
        Assert.Equal(new[] { "a", "b" }, sent.Select(r => r.Prompt).Order());
        Assert.NotEqual(sent[0].ReplySubject, sent[1].ReplySubject);
        Assert.NotEqual(sent[0].Context.RequestId, sent[1].Context.RequestId);
    }

    [Fact]
    public async Task Completions_token_id_prompts_are_sent_as_ids()
    {
        using var one = await _host.Client.PostAsync("v1/completions", """{"model":"test-model","prompt":[1,2,3]}""");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        using var many = await _host.Client.PostAsync("v1/completions", """{"model":"test-model","prompt":[[1,2],[3]],"stream":true}""");
        var events = Sse.Json(await many.Content.ReadAsStringAsync(Ct));
        Assert.Equal([0, 1], events.Select(e => e.GetProperty("choices")[0].GetProperty("index").GetInt32()).Distinct().Order());

        var sent = _host.Pipeline.Requests.ToArray();
        Assert.Equal([1, 2, 3], sent[0].PromptTokenIds.Ids);
        Assert.Equal(new[] { 1, 2 }, sent.Skip(1).Select(r => r.PromptTokenIds.Ids.Count).Order());
        Assert.Equal(3, sent.Length);
    }

    [Fact]
    public async Task Error_after_streaming_began_is_an_error_event_then_done()
    {
        _host.Pipeline.Respond = async (request, send, ct) =>
        {
            await send(new ResponseChunk { Choices = { FakePipeline.Choice(request, 0, 0, FinishReason.None) } });
            await send(new ResponseChunk { Error = new Error { Code = ErrorCode.WorkerFailed, Message = "worker 3 died" } });
        };
        using var response = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("Hello", events[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        var error = events[^1].GetProperty("error");
        Assert.Equal("worker 3 died", error.GetProperty("message").GetString());
        Assert.Equal("worker_failed", error.GetProperty("code").GetString());
        Assert.Equal("service_unavailable_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Client_disconnect_publishes_a_client_gone_cancel_at_once()
    {
        var finished = new TaskCompletionSource();
        _host.Pipeline.Respond = async (request, send, ct) =>
        {
            await send(new ResponseChunk { Choices = { FakePipeline.Choice(request, 0, 0, FinishReason.None) } });
            await finished.Task.WaitAsync(ct);
        };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions"))
        {
            request.Content = Requests.Json("""{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true}""");
            using var response = await _host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var stream = await response.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[256];
            Assert.True(await stream.ReadAsync(buffer, Ct) > 0);
        }

        var cancel = await _host.Pipeline.NextCancelAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(cancel);
        Assert.Equal(CancelReason.ClientGone, cancel.Reason);
        Assert.Equal(-1, cancel.ChoiceIndex);
        Assert.True(_host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.Equal(sent.Context.RequestId, cancel.Context.RequestId);
        finished.SetResult();
    }

    [Fact]
    public async Task A_finished_request_publishes_no_cancel()
    {
        using var response = await _host.Client.PostAsync("v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await _host.Pipeline.NextCancelAsync(TimeSpan.FromMilliseconds(200)));
    }
}
