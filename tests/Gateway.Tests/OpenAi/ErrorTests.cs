using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.OpenAi;

/// <summary>Pipeline errors, deadlines and limits become the right HTTP status and OpenAI error body.</summary>
public sealed class ErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> PostAsync(GatewayHost host, string path, string body)
    {
        var response = await host.Client.PostAsync(path, body);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, json.RootElement.GetProperty("error").Clone(), response);
    }

    [Theory]
    [InlineData(ErrorCode.InvalidRequest, 400, "invalid_request_error")]
    [InlineData(ErrorCode.ContextLengthExceeded, 400, "invalid_request_error")]
    [InlineData(ErrorCode.TemplateError, 400, "invalid_request_error")]
    [InlineData(ErrorCode.TooLarge, 400, "invalid_request_error")]
    [InlineData(ErrorCode.ModelNotFound, 404, "not_found_error")]
    [InlineData(ErrorCode.Unauthorized, 401, "authentication_error")]
    [InlineData(ErrorCode.Overloaded, 429, "rate_limit_error")]
    [InlineData(ErrorCode.NoWorkers, 503, "service_unavailable_error")]
    [InlineData(ErrorCode.WorkerFailed, 503, "service_unavailable_error")]
    [InlineData(ErrorCode.Timeout, 504, "timeout_error")]
    [InlineData(ErrorCode.Internal, 500, "server_error")]
    public async Task Pipeline_error_before_the_first_chunk_gets_its_http_status(ErrorCode code, int status, string type)
    {
        await using var host = await GatewayHost.StartAsync();
        host.Pipeline.Respond = (_, send, _) => send(new ResponseChunk
        {
            Error = new Error { Code = code, Message = "upstream says no", Param = code == ErrorCode.ContextLengthExceeded ? "messages" : "" },
        });
        foreach (string body in new[] { Requests.Chat, Requests.Chat.Replace("}]}", "}],\"stream\":true}", StringComparison.Ordinal) })
        {
            var (actual, error, response) = await PostAsync(host, "v1/chat/completions", body);
            Assert.Equal(status, (int)actual);
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("upstream says no", error.GetProperty("message").GetString());
            Assert.Equal(type, error.GetProperty("type").GetString());
            if (code == ErrorCode.ContextLengthExceeded)
            {
                Assert.Equal("messages", error.GetProperty("param").GetString());
                Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
            }
            if (status is 429)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
            response.Dispose();
        }
    }

    [Fact]
    public async Task Error_text_is_written_as_is_not_html_escaped()
    {
        await using var host = await GatewayHost.StartAsync();
        host.Pipeline.Respond = (_, send, _) => send(new ResponseChunk
        {
            Error = new Error { Code = ErrorCode.ContextLengthExceeded, Message = "This model's limit is <4096> & you sent é" },
        });
        using var response = await host.Client.PostAsync("v1/chat/completions", Requests.Chat);
        string raw = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("This model's limit is <4096> & you sent é", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_tokenizer_on_the_bus_is_503()
    {
        await using var host = await GatewayHost.StartAsync();
        var (status, error, response) = await PostAsync(host, "v1/chat/completions",
            """{"model":"org/other.model","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no_workers", error.GetProperty("code").GetString());
        response.Dispose();
    }

    [Fact]
    public async Task Unknown_model_is_404_and_nothing_is_published()
    {
        await using var host = await GatewayHost.StartAsync();
        var (status, error, response) = await PostAsync(host, "v1/chat/completions",
            """{"model":"gpt-17","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Empty(host.Pipeline.Envelopes);
        response.Dispose();
    }

    [Fact]
    public async Task Alias_resolves_to_the_served_model_on_the_bus_and_is_echoed_back()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.PostAsync("v1/chat/completions",
            """{"model":"alias-model","messages":[{"role":"user","content":"Hi"}]}""");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("alias-model", json.RootElement.GetProperty("model").GetString());
        Assert.True(host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.Equal(GatewayHost.Model, sent.Model);
    }

    [Fact]
    public async Task First_token_timeout_is_504_and_cancels_upstream()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Gateway:FirstTokenTimeout"] = "00:00:00.300");
        host.Pipeline.Respond = (_, _, ct) => Task.Delay(Timeout.Infinite, ct);
        var (status, error, response) = await PostAsync(host, "v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("timeout_error", error.GetProperty("type").GetString());
        var cancel = await host.Pipeline.NextCancelAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(CancelReason.Timeout, cancel!.Reason);
        response.Dispose();
    }

    [Fact]
    public async Task Request_timeout_mid_stream_ends_with_an_error_event_not_a_hung_connection()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            // Generous first-chunk window so a loaded CI machine still streams before the deadline hits.
            s["Gateway:RequestTimeout"] = "00:00:02";
            s["Gateway:FirstTokenTimeout"] = "00:00:01.500";
        });
        host.Pipeline.Respond = async (request, send, ct) =>
        {
            await send(new ResponseChunk { Choices = { FakePipeline.Choice(request, 0, 0, FinishReason.None) } });
            await Task.Delay(Timeout.Infinite, ct);
        };
        using var response = await host.Client.PostAsync("v1/chat/completions",
            """{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true}""");
        var events = Sse.Json(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("timeout", events[^1].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(CancelReason.Timeout, (await host.Pipeline.NextCancelAsync(TimeSpan.FromSeconds(5)))!.Reason);
    }

    [Fact]
    public async Task Deadline_and_reply_subject_travel_with_the_request()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Gateway:RequestTimeout"] = "00:01:00";
            s["Gateway:FirstTokenTimeout"] = "00:00:30";
        });
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var response = await host.Client.PostAsync("v1/chat/completions", Requests.Chat);
        Assert.True(host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.InRange(sent.Context.DeadlineUnixMs, before + 59_000, before + 61_000);
        Assert.StartsWith(Subjects.ReplyPrefix + ".gw-test.", sent.ReplySubject, StringComparison.Ordinal);
        Assert.True(sent.ReplySubject.Length > (Subjects.ReplyPrefix + ".gw-test.").Length + 30);
        Assert.True(host.Pipeline.Envelopes.TryDequeue(out var envelope));
        Assert.Equal(Subjects.Tokenize(GatewayHost.Model), envelope.Subject);
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), sent.Context.RequestId);
    }

    [Fact]
    public async Task In_flight_limit_answers_429()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Gateway:MaxInFlight"] = "1");
        var release = new TaskCompletionSource();
        host.Pipeline.Respond = async (request, send, ct) =>
        {
            await send(new ResponseChunk { Choices = { FakePipeline.Choice(request, 0, 0, FinishReason.None) } });
            await release.Task.WaitAsync(ct);
            await FakePipeline.DefaultScript(request, send, ct);
        };
        using var first = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Requests.Json("""{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
        };
        using var streaming = await host.Client.SendAsync(first, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);

        var (status, error, response) = await PostAsync(host, "v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        response.Dispose();

        release.SetResult();
        Assert.EndsWith("data: [DONE]\n\n", await streaming.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        host.Pipeline.Respond = FakePipeline.DefaultScript;
        using var after = await host.Client.PostAsync("v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Malformed_chunk_from_the_pipeline_is_a_500_not_a_crash()
    {
        await using var host = await GatewayHost.StartAsync();
        host.Pipeline.Respond = async (request, _, _) =>
            await host.Bus.PublishAsync(request.ReplySubject, new byte[] { 0xFF, 0xFF, 0xFF });
        var (status, error, response) = await PostAsync(host, "v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        response.Dispose();
    }
}
