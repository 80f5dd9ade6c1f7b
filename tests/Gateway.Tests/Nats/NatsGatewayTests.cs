using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;
using LlmServe.Messaging;
using LlmServe.Messaging.Tests.Fixtures;
using OpenAI;
using OpenAI.Chat;

namespace LlmServe.Gateway.Tests.Nats;

/// <summary>
/// Integration over a real nats-server (started on a free port): the gateway and the fake pipeline each hold
/// their own NatsBus connection, as separate services would.
/// </summary>
public sealed class NatsGatewayTests : IAsyncLifetime
{
    private NatsServer _server = null!;
    private NatsBus _gatewayBus = null!;
    private NatsBus _pipelineBus = null!;
    private GatewayHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NatsServer.StartAsync();
        _gatewayBus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = _server.Url, Name = "gateway" });
        _pipelineBus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = _server.Url, Name = "pipeline" });
        _host = await GatewayHost.StartAsync(gatewayBus: _gatewayBus, pipelineBus: _pipelineBus);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _pipelineBus.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sdk_streams_a_chat_completion_over_nats()
    {
        var client = new ChatClient(GatewayHost.Model, new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(_host.BaseAddress, "v1") });
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")], cancellationToken: Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal("Hello world!", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task No_tokenizer_subscribed_is_503_from_the_servers_no_responders_status()
    {
        using var chat = await _host.Client.PostAsync("v1/chat/completions",
            """{"model":"org/other.model","messages":[{"role":"user","content":"Hi"}],"stream":true}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        using var tokenize = await _host.Client.PostAsync("tokenize", """{"model":"org/other.model","prompt":"x"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, tokenize.StatusCode);
    }

    [Fact]
    public async Task Tokenize_is_request_reply_over_nats()
    {
        using var response = await _host.Client.PostAsync("tokenize", """{"model":"test-model","prompt":"hi"}""");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal([104, 105], json.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
    }

    [Fact]
    public async Task Client_disconnect_cancel_reaches_the_pipeline_over_nats()
    {
        var release = new TaskCompletionSource();
        _host.Pipeline.Respond = async (request, send, ct) =>
        {
            await send(new ResponseChunk { Choices = { FakePipeline.Choice(request, 0, 0, FinishReason.None) } });
            await release.Task.WaitAsync(ct);
        };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions"))
        {
            request.Content = Requests.Json("""{"model":"test-model","prompt":"Hi","stream":true}""");
            using var response = await _host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var stream = await response.Content.ReadAsStreamAsync(Ct);
            Assert.True(await stream.ReadAsync(new byte[64], Ct) > 0);
        }
        var cancel = await _host.Pipeline.NextCancelAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CancelReason.ClientGone, cancel?.Reason);
        release.SetResult();
    }
}
