using System.Net.Http.Headers;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway on a real Kestrel (127.0.0.1, free port) over an <see cref="InProcessBus"/>, with a
/// <see cref="FakePipeline"/> answering for <see cref="Model"/> the way tokenizer → scheduler → detokenizer would.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string Model = "test-model";
    public const string OtherModel = "org/other.model";
    public const string Alias = "alias-model";

    private GatewayHost(WebApplication app, IMessageBus bus, FakePipeline pipeline, Uri baseAddress, string? apiKey)
    {
        App = app;
        Bus = bus;
        Pipeline = pipeline;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public WebApplication App { get; }

    /// <summary>The gateway's bus.</summary>
    public IMessageBus Bus { get; }

    public FakePipeline Pipeline { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client that sends the API key when the host has one.</summary>
    public HttpClient Client { get; }

    /// <param name="gatewayBus">The gateway's bus; an <see cref="InProcessBus"/> shared with the pipeline when null.</param>
    /// <param name="pipelineBus">The fake pipeline's own connection (another NATS client); the gateway's bus when null.</param>
    public static async Task<GatewayHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, string? apiKey = null,
        IMessageBus? gatewayBus = null, IMessageBus? pipelineBus = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Models:0"] = Model,
            ["Gateway:Models:1"] = OtherModel,
            [$"Gateway:ModelAliases:{Alias}"] = Model,
            ["Gateway:GatewayId"] = "gw-test",
        };
        if (apiKey is not null)
        {
            settings["Gateway:ApiKeys:0"] = apiKey;
        }
        configure?.Invoke(settings);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var bus = gatewayBus ?? new InProcessBus(new InProcessBusOptions { MaxPayload = 8 * 1024 * 1024 });
        builder.Services.AddSingleton<IMessageBus>(bus);
        builder.Services.AddGateway(builder.Configuration);

        var app = builder.Build();
        app.MapGateway();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var pipeline = await FakePipeline.StartAsync(pipelineBus ?? bus, Model);
        return new GatewayHost(app, bus, pipeline, new Uri(address.TrimEnd('/') + "/"), apiKey);
    }

    /// <summary>Publishes a scheduler status as a replica of <paramref name="model"/> would.</summary>
    public async Task PublishStatusAsync(SchedulerStatus status)
    {
        await Bus.PublishAsync(Subjects.Status(status.Model), Google.Protobuf.MessageExtensions.ToByteArray(status));
        await Bus.FlushAsync();
    }

    /// <summary>
    /// Publishes the statuses every 50 ms until <paramref name="condition"/> holds (10 s at most), as schedulers
    /// do periodically: the gateway's status subscription starts in the background and may miss the first one.
    /// </summary>
    public async Task PublishStatusUntilAsync(Func<Task<bool>> condition, params SchedulerStatus[] statuses)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var status in statuses)
            {
                await PublishStatusAsync(status);
            }
            if (await condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail("The gateway did not take the scheduler status in 10 s.");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Pipeline.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
