using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.Security;

/// <summary>API keys, per-key rate limits and CORS.</summary>
public sealed class SecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_keys_guard_the_api_but_not_health_or_metrics()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Gateway:ApiKeys:1"] = "sk-second", apiKey: "sk-first");
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        using (var missing = await anonymous.PostAsync("v1/chat/completions", Requests.Chat))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            using var json = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Ct));
            Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        }
        using (var health = await anonymous.GetAsync("health", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var metrics = await anonymous.GetAsync("metrics", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-second");
        using (var second = await anonymous.PostAsync("v1/chat/completions", Requests.Chat))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        using var first = await host.Client.GetAsync("v1/models", Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    [Fact]
    public async Task Rate_limit_is_per_key_and_answers_429_with_retry_after()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Gateway:ApiKeys:1"] = "sk-b";
            s["Gateway:RateLimit:RequestsPerSecond"] = "0.01";
            s["Gateway:RateLimit:Burst"] = "2";
        }, apiKey: "sk-a");

        for (int i = 0; i < 2; i++)
        {
            using var ok = await host.Client.GetAsync("v1/models", Ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var limited = await host.Client.GetAsync("v1/models", Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter);
            using var json = JsonDocument.Parse(await limited.Content.ReadAsStringAsync(Ct));
            Assert.Equal("rate_limit_exceeded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        using var other = new HttpClient { BaseAddress = host.BaseAddress };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-b");
        using var otherKey = await other.GetAsync("v1/models", Ct);
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
    }

    [Fact]
    public async Task Cors_is_off_by_default_and_on_for_configured_origins()
    {
        await using (var closed = await GatewayHost.StartAsync())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Add("Origin", "https://app.example");
            using var response = await closed.Client.SendAsync(request, Ct);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await using var open = await GatewayHost.StartAsync(s => s["Gateway:Cors:AllowedOrigins:0"] = "https://app.example");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var answer = await open.Client.SendAsync(preflight, Ct);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}
