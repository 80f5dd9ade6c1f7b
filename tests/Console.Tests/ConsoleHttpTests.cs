using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmServe.Console.Tests.Infrastructure;

namespace LlmServe.Console.Tests;

/// <summary>The console's HTTP surface: public page and assets with safe headers, the stats endpoint, and /v1 still guarded.</summary>
public sealed partial class ConsoleHttpTests(ConsoleFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_and_every_asset_it_names_load_without_a_key_with_csp_and_revalidation_headers()
    {
        using var http = fixture.Server.Client(withKey: false);
        using var page = await http.GetAsync("", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync(Ct);

        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/console/app.js", assets);
        Assert.Contains("/console/console.css", assets);
        // Modules the entry point imports load from the same folder.
        assets.AddRange(["/console/api.js", "/console/sse.js", "/console/playground.js", "/console/dashboard.js", "/console/chart.js", "/console/histogram.js"]);
        foreach (string path in assets.Prepend("/"))
        {
            using var response = await http.GetAsync(path.TrimStart('/'), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("http", csp, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("*", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
            Assert.True(response.Headers.CacheControl?.NoCache, path);
            Assert.Equal("nosniff", string.Join("", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.NotNull(response.Headers.ETag);
            if (path.EndsWith(".js", StringComparison.Ordinal))
            {
                Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            }

            using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path.TrimStart('/')), Ct))
            {
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(response.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
            }
            using var again = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
            again.Headers.IfNoneMatch.Add(response.Headers.ETag);
            using var revalidated = await http.SendAsync(again, Ct);
            Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        }
    }

    [Fact]
    public async Task The_page_is_public_but_the_api_still_needs_the_key()
    {
        using var anonymous = fixture.Server.Client(withKey: false);
        using (var models = await anonymous.GetAsync("v1/models", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
        }
        using (var chat = await anonymous.PostAsJsonAsync("v1/chat/completions", new
        {
            model = ConsoleServer.Model,
            messages = new[] { new { role = "user", content = "hi" } },
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, chat.StatusCode);
        }
        using var stats = await anonymous.GetAsync("console/api/stats", Ct);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        using var json = JsonDocument.Parse(await stats.Content.ReadAsStringAsync(Ct));
        Assert.True(json.RootElement.GetProperty("api_key_required").GetBoolean());
    }

    [Fact]
    public async Task Unknown_console_files_are_not_found()
    {
        using var http = fixture.Server.Client(withKey: false);
        foreach (string path in new[] { "console/nope.js", "console/api/nope", "console/../appsettings.json" })
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Stats_report_the_replica_and_the_models_latency_once_a_request_finished()
    {
        using var http = fixture.Server.Client();
        using (var chat = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = ConsoleServer.Model,
            messages = new[] { new { role = "user", content = "Hello there" } },
            max_tokens = 8,
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        using var stats = await http.GetAsync("console/api/stats", Ct);
        Assert.Equal("no-store", stats.Headers.CacheControl?.ToString());
        using var json = JsonDocument.Parse(await stats.Content.ReadAsStringAsync(Ct));
        var root = json.RootElement;
        Assert.True(root.GetProperty("gateway").GetProperty("ready").GetBoolean());
        var model = Assert.Single(root.GetProperty("models").EnumerateArray());
        Assert.Equal(ConsoleServer.Model, model.GetProperty("model").GetString());
        Assert.True(model.GetProperty("requests_finished").GetDouble() >= 1);
        Assert.True(model.GetProperty("generation_tokens").GetDouble() >= 1);
        var ttft = model.GetProperty("ttft_seconds");
        Assert.True(ttft.GetProperty("count").GetInt64() >= 1);
        int bounds = ttft.GetProperty("bounds").GetArrayLength();
        Assert.True(bounds > 0);
        // Cumulative counts: one per bound plus +Inf, never decreasing, the last equal to the count.
        var cumulative = ttft.GetProperty("cumulative").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(bounds + 1, cumulative.Count);
        Assert.Equal(cumulative.Order(), cumulative);
        Assert.Equal(ttft.GetProperty("count").GetInt64(), cumulative[^1]);

        var replica = Assert.Single(model.GetProperty("replicas").EnumerateArray());
        Assert.Equal("0", replica.GetProperty("replica").GetString());
        Assert.Equal("healthy", replica.GetProperty("health").GetString());
        Assert.True(replica.GetProperty("workers_ready").GetInt32() >= 1);
        Assert.True(replica.GetProperty("kv_blocks_total").GetInt32() > 0);
        double kv = replica.GetProperty("kv_cache_usage").GetDouble();
        Assert.InRange(kv, 0, 1);

        // The all-in-one's tokenizer and detokenizer heartbeat at start and every 2 s; the gateway's subscription may
        // have missed the first one, so wait (generously) for both.
        var services = root.GetProperty("services").EnumerateArray().Select(s => s.Clone()).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (services.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
            using var again = await http.GetAsync("console/api/stats", Ct);
            using var againJson = JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct));
            services = [.. againJson.RootElement.GetProperty("services").EnumerateArray().Select(s => s.Clone())];
        }
        Assert.Equal(["detokenizer", "tokenizer"], services.Select(s => s.GetProperty("service").GetString()));
        Assert.All(services, s => Assert.Equal(ConsoleServer.Model, s.GetProperty("model").GetString()));
        Assert.All(services, s => Assert.Equal("healthy", s.GetProperty("health").GetString()));
        Assert.Equal(1, services[0].GetProperty("shard_count").GetInt32());
    }

    [GeneratedRegex("(?:src|href)=\"(/console/[^\"]+)\"")]
    private static partial Regex AssetReference();
}
