using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.Tokenization;

/// <summary>/tokenize and /detokenize by request/reply to the fake tokenizer.</summary>
public sealed class TokenizationTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode, JsonElement)> PostAsync(string path, string body)
    {
        using var response = await _host.Client.PostAsync(path, body);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, json.RootElement.Clone());
    }

    [Fact]
    public async Task Tokenize_prompt_returns_tokens_count_and_max_model_len()
    {
        var (status, json) = await PostAsync("tokenize", """{"model":"test-model","prompt":"abc"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([97, 98, 99], json.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(3, json.GetProperty("count").GetInt32());
        Assert.Equal(4096, json.GetProperty("max_model_len").GetInt32());

        var envelope = _host.Pipeline.Envelopes.Single();
        Assert.Equal(Subjects.Tokenize(GatewayHost.Model), envelope.Subject);
        Assert.NotNull(envelope.ReplyTo);
    }

    [Fact]
    public async Task Tokenize_messages_sends_a_chat_input_with_generation_prompt()
    {
        var (status, json) = await PostAsync("tokenize",
            """{"model":"test-model","messages":[{"role":"user","content":"hi"}],"add_generation_prompt":true}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("user:hi".Length, json.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Detokenize_returns_the_prompt_text()
    {
        var (status, json) = await PostAsync("detokenize", """{"model":"test-model","tokens":[104,105]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hi", json.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task No_tokenizer_for_the_model_is_503()
    {
        var (status, json) = await PostAsync("tokenize", """{"model":"org/other.model","prompt":"abc"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no_workers", json.GetProperty("error").GetProperty("code").GetString());
        (status, _) = await PostAsync("detokenize", """{"model":"org/other.model","tokens":[1]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
    }
}
