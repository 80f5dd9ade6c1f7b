using System.Net.Http.Headers;
using LlmServe.AllInOne.Demo;
using LlmServe.AllInOne.Serve;
using Microsoft.AspNetCore.Builder;

namespace LlmServe.Console.Tests.Infrastructure;

/// <summary>
/// The all-in-one server (gateway, tokenizer, scheduler, worker, detokenizer on the in-process bus) in this
/// test process, on a free port, serving the tiny demo model with API keys on.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    public const string ApiKey = "sk-console-test";
    public const string Model = DemoModelWriter.ServedName;

    private readonly string _modelDirectory;

    private ConsoleServer(WebApplication app, Uri baseAddress, string modelDirectory)
    {
        App = app;
        BaseAddress = baseAddress;
        _modelDirectory = modelDirectory;
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public static async Task<ConsoleServer> StartAsync()
    {
        string modelDirectory = Path.Combine(Path.GetTempPath(), $"llmserve-console-test-model-{Environment.ProcessId}");
        DemoModelWriter.Write(modelDirectory);
        var settings = new ServeSettings
        {
            ModelDirectory = modelDirectory,
            ServedModelName = Model,
            Port = 0,
            KvCacheMemoryMiB = 16,
            MaxNumSeqs = 16,
            ApiKeys = [ApiKey],
        };
        // Scheduler reports four times a second so the dashboard has something new at every poll.
        var app = AllInOneHost.Build(settings,
        [
            "--Scheduler:StatusInterval=00:00:00.250",
            "--Worker:Threads=1",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
        ]);
        await app.StartAsync();
        var server = new ConsoleServer(app, new Uri(app.Urls.First().TrimEnd('/') + "/"), modelDirectory);
        await server.WaitUntilReadyAsync();
        return server;
    }

    /// <summary>A client for the API, with the key unless <paramref name="withKey"/> is false.</summary>
    public HttpClient Client(bool withKey = true)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (withKey)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
        return client;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = Client(withKey: false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync("ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the all-in-one server never became ready");
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_modelDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
