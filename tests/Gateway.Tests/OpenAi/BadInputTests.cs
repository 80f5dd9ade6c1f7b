using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.OpenAi;

/// <summary>One gateway shared by the bad-input suite.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await GatewayHost.StartAsync(s =>
    {
        s["Gateway:MaxN"] = "8";
        s["Gateway:MaxStopStrings"] = "16";
        s["Gateway:MaxStopStringLength"] = "256";
        s["Gateway:MaxRequestBodyBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }, apiKey: BadInputCases.Key);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Every malformed request answers 4xx with an OpenAI-shaped error naming the parameter where there is one,
/// never 5xx, and the gateway keeps serving good requests afterwards.
/// </summary>
public sealed class BadInputTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    [Fact]
    public void Suite_has_at_least_100_cases() => Assert.True(BadInputCases.All.Count >= 100, $"{BadInputCases.All.Count} cases");

    [Theory]
    [MemberData(nameof(BadInputCases.Names), MemberType = typeof(BadInputCases))]
    public async Task Bad_input_is_a_4xx_openai_error_and_the_gateway_keeps_serving(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = BadInputCases.All[name];
        using var client = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body.Length > 0 || c.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent(c.Body);
            if (c.ContentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
            }
        }
        if (c.Body.Length > 1024 * 1024)
        {
            // How clients send big uploads: the server can refuse (413) before the body is sent.
            request.Headers.ExpectContinue = true;
        }
        if (c.ApiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization",
                c.ApiKey.StartsWith("basic:", StringComparison.Ordinal) ? "Basic " + c.ApiKey[6..] : "Bearer " + c.ApiKey);
        }

        using var response = await client.SendAsync(request, ct);

        Assert.Equal(c.Status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var error = json.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("code").GetString()));
        Assert.True(error.TryGetProperty("param", out var param));
        if (c.Param is not null)
        {
            Assert.Equal(c.Param, param.GetString());
        }

        using var good = await fixture.Host.Client.PostAsync("v1/chat/completions", Requests.Chat);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }
}
