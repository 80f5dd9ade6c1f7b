using System.Net;
using LlmServe.Gateway;
using LlmServe.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmServe.Console.Tests;

/// <summary>Gateway:Console:Enabled=false removes the page and the stats endpoint (the gateway alone, in-process bus).</summary>
public sealed class ConsoleOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_disabled_console_serves_nothing_while_the_api_still_answers()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Models:0"] = "m",
            ["Gateway:Console:Enabled"] = "false",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IMessageBus>(new InProcessBus(new InProcessBusOptions()));
        builder.Services.AddGateway(builder.Configuration);
        await using var app = builder.Build();
        app.MapGateway();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        foreach (string path in new[] { "/", "/console/app.js", "/console/api/stats" })
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using var models = await http.GetAsync("/v1/models", Ct);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        await app.StopAsync(Ct);
    }
}
