using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using LlmServe.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace LlmServe.Gateway.Tests.OpenAi;

/// <summary>The official OpenAI .NET SDK against the gateway on Kestrel, with the fake pipeline on an in-process bus.</summary>
public sealed class OpenAiSdkTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await GatewayHost.StartAsync(apiKey: "sk-sdk");

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(_host.BaseAddress, "v1") };

    [Fact]
    public async Task Chat_completion_returns_text_finish_reason_and_usage()
    {
        var client = new ChatClient(GatewayHost.Model, new ApiKeyCredential("sk-sdk"), Options);

        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Hi")],
            new ChatCompletionOptions { Temperature = 0.5f, MaxOutputTokenCount = 16 },
            TestContext.Current.CancellationToken);

        Assert.Equal("Hello world!", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(5, completion.Usage.InputTokenCount);
        Assert.Equal(3, completion.Usage.OutputTokenCount);
        Assert.Equal(8, completion.Usage.TotalTokenCount);
        Assert.Equal(2, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(GatewayHost.Model, completion.Model);

        Assert.True(_host.Pipeline.Requests.TryDequeue(out var sent));
        Assert.Equal(2, sent.Chat.Messages.Count);
        Assert.Equal("system", sent.Chat.Messages[0].Role);
        Assert.Equal(0.5f, sent.Sampling.Temperature);
        Assert.Equal(16, sent.Sampling.MaxTokens);
    }

    [Fact]
    public async Task Chat_streaming_delivers_deltas_finish_reason_and_usage()
    {
        var client = new ChatClient(GatewayHost.Model, new ApiKeyCredential("sk-sdk"), Options);
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Hello world!", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(5, usage.InputTokenCount);
        Assert.Equal(3, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Chat_with_logprobs_parses_in_the_sdk()
    {
        var client = new ChatClient(GatewayHost.Model, new ApiKeyCredential("sk-sdk"), Options);
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hi")],
            new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = 2 },
            TestContext.Current.CancellationToken);

        Assert.Equal(3, completion.ContentTokenLogProbabilities.Count);
        Assert.Equal("Hello", completion.ContentTokenLogProbabilities[0].Token);
        Assert.Equal(-0.25f, completion.ContentTokenLogProbabilities[0].LogProbability);
        Assert.Equal(2, completion.ContentTokenLogProbabilities[0].TopLogProbabilities.Count);
        Assert.Equal("Hello"u8.ToArray(), completion.ContentTokenLogProbabilities[0].Utf8Bytes!.Value.ToArray());
    }

    /// <summary>
    /// SDK 2.15 keeps its legacy completions client internal, so completions go through the SDK's own client
    /// pipeline (its auth, transport and error handling) with a raw body.
    /// </summary>
    private async Task<PipelineResponse> SendCompletionAsync(string body, bool buffer)
    {
        var client = new OpenAIClient(new ApiKeyCredential("sk-sdk"), Options);
        var message = client.Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(_host.BaseAddress, "v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(body));
        message.BufferResponse = buffer;
        message.Apply(new RequestOptions { CancellationToken = TestContext.Current.CancellationToken });
        await client.Pipeline.SendAsync(message);
        return message.ExtractResponse()!;
    }

    [Fact]
    public async Task Completion_through_the_sdk_pipeline()
    {
        using var response = await SendCompletionAsync("""{"model":"test-model","prompt":"Once upon","max_tokens":8}""", buffer: true);

        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(response.Content.ToString());
        var root = json.RootElement;
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        Assert.Equal("Hello world!", root.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(8, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_streaming_through_the_sdk_pipeline()
    {
        using var response = await SendCompletionAsync("""{"model":"test-model","prompt":"Once upon","stream":true}""", buffer: false);

        using var reader = new StreamReader(response.ContentStream!);
        var events = Sse.Json(await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Hello world!", string.Concat(events.Select(e => e.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("stop", events[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Models_are_listed_and_retrieved()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential("sk-sdk"), Options);
        OpenAIModelCollection models = await client.GetModelsAsync(TestContext.Current.CancellationToken);
        Assert.Contains(models, m => m.Id == GatewayHost.Model);
        Assert.Contains(models, m => m.Id == GatewayHost.Alias);
        Assert.Contains(models, m => m.Id == GatewayHost.OtherModel);

        OpenAIModel model = await client.GetModelAsync(GatewayHost.OtherModel, TestContext.Current.CancellationToken);
        Assert.Equal(GatewayHost.OtherModel, model.Id);
        Assert.Equal("llmserve", model.OwnedBy);
    }

    [Fact]
    public async Task Sdk_surfaces_openai_shaped_errors()
    {
        var client = new ChatClient("no-such-model", new ApiKeyCredential("sk-sdk"), Options);
        var ex = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(404, ex.Status);
        Assert.Contains("no-such-model", ex.Message, StringComparison.Ordinal);
    }
}
