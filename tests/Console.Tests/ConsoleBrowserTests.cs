using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmServe.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace LlmServe.Console.Tests;

/// <summary>The console in headless Chromium against the all-in-one server: playground, errors, dashboard under load.</summary>
public sealed class ConsoleBrowserTests(ConsoleFixture fixture)
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(45);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Playground_streams_a_reply_from_the_tiny_model_and_shows_ttft_and_tokens_per_second()
    {
        var page = await OpenAsync("/#playground", ConsoleServer.ApiKey);
        await Assertions.Expect(page.Locator("#api-key-field")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#model")).ToHaveValueAsync(ConsoleServer.Model);
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();

        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#max-tokens", "24");
        await page.FillAsync("#seed", "1");
        await page.FillAsync("#prompt", "Tell me about the quick brown fox.");
        await page.ClickAsync("#send");

        var answer = page.Locator("li.message.assistant").Last;
        await Assertions.Expect(answer).ToHaveAttributeAsync("data-state", "done", new() { Timeout = (float)Liveness.TotalMilliseconds });
        string text = await answer.Locator(".text").InnerTextAsync();
        Assert.False(string.IsNullOrWhiteSpace(text), "the answer shows no text");
        int chunks = int.Parse(await answer.GetAttributeAsync("data-chunks") ?? "0", CultureInfo.InvariantCulture);
        int tokens = int.Parse(await answer.GetAttributeAsync("data-completion-tokens") ?? "0", CultureInfo.InvariantCulture);
        Assert.True(chunks > 1, $"the answer came as {chunks} SSE content event(s), not a stream");
        Assert.True(tokens >= chunks, $"{tokens} tokens for {chunks} chunks");
        double ttft = double.Parse(await answer.GetAttributeAsync("data-ttft-ms") ?? "", CultureInfo.InvariantCulture);
        double rate = double.Parse(await answer.GetAttributeAsync("data-tokens-per-second") ?? "", CultureInfo.InvariantCulture);
        Assert.True(ttft > 0, $"TTFT {ttft} ms");
        Assert.True(rate > 0, $"{rate} tokens/s");
        string shown = await answer.Locator(".stats").InnerTextAsync();
        Assert.Matches(@"TTFT \d+ ms", shown);
        Assert.Matches(@"[\d.]+ tokens/s", shown);
        Assert.Contains($"{tokens} tokens", shown, StringComparison.Ordinal);

        // The same request, unstreamed through the API, gives the same text: the page showed what the model said.
        using var http = fixture.Server.Client();
        using var direct = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = ConsoleServer.Model,
            messages = new[] { new { role = "user", content = "Tell me about the quick brown fox." } },
            temperature = 0,
            top_p = 1,
            max_tokens = 24,
            seed = 1,
        }, Ct);
        using var json = JsonDocument.Parse(await direct.Content.ReadAsStringAsync(Ct));
        string expected = json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(expected.Trim(), text.Trim());

        await ConsoleFixture.ScreenshotAsync(page, "playground");
    }

    [Fact]
    public async Task A_bad_api_key_shows_the_gateways_error_to_the_user()
    {
        var page = await OpenAsync("/#playground", apiKey: null);
        // No key at all: the model list request is refused and the gateway's message is shown.
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Missing API key");

        await page.FillAsync("#api-key", "sk-wrong");
        await page.DispatchEventAsync("#api-key", "change");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("401");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Incorrect API key provided.");
        // The page still offers the model it learned from the public stats.
        await Assertions.Expect(page.Locator("#model")).ToHaveValueAsync(ConsoleServer.Model);

        await page.EvaluateAsync("() => document.getElementById('error').hidden = true");
        await page.FillAsync("#prompt", "Hello?");
        await page.ClickAsync("#send");
        var error = page.Locator("#error");
        await Assertions.Expect(error).ToBeVisibleAsync();
        await Assertions.Expect(error).ToContainTextAsync("Incorrect API key provided.");
        await Assertions.Expect(error).ToContainTextAsync("authentication_error");
        // The prompt is given back for another try and no half-made answer is left behind.
        await Assertions.Expect(page.Locator("#prompt")).ToHaveValueAsync("Hello?");
        await Assertions.Expect(page.Locator("li.message")).ToHaveCountAsync(0);

        await ConsoleFixture.ScreenshotAsync(page, "bad-api-key");
    }

    [Fact]
    public async Task Dashboard_charts_move_while_requests_run_and_the_health_table_shows_the_replica()
    {
        var page = await OpenAsync("/#dashboard", ConsoleServer.ApiKey);
        string prefix = $"{ConsoleServer.Model}/0";
        var tokensChart = page.Locator($"canvas[data-chart='{prefix}/tokens']");
        await Assertions.Expect(tokensChart).ToBeAttachedAsync(new() { Timeout = (float)Liveness.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#health tbody")).ToContainTextAsync("healthy");
        // The tokenizer and the detokenizer report by heartbeat: one healthy row each, with the served model.
        foreach (string service in new[] { "tokenizer", "detokenizer" })
        {
            var serviceRow = page.Locator("#health tbody tr").Filter(new()
            {
                Has = page.Locator("td:first-child", new() { HasTextRegex = new Regex($"^{service}$") }),
            });
            await Assertions.Expect(serviceRow).ToHaveCountAsync(1, new() { Timeout = (float)Liveness.TotalMilliseconds });
            await Assertions.Expect(serviceRow.Locator("td").Nth(1)).ToHaveTextAsync(ConsoleServer.Model);
            await Assertions.Expect(serviceRow.Locator("td").Nth(3)).ToHaveTextAsync("healthy", new() { Timeout = (float)Liveness.TotalMilliseconds });
        }
        var card = page.Locator($"section.model-card[data-model='{ConsoleServer.Model}']");
        long finishedBefore = long.Parse(await card.GetAttributeAsync("data-requests-finished") ?? "0", CultureInfo.InvariantCulture);

        // Only points drawn after the load starts count: earlier tests' requests may still be in the windows.
        int start = int.Parse(await tokensChart.GetAttributeAsync("data-points") ?? "0", CultureInfo.InvariantCulture);
        using var load = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var clients = Enumerable.Range(0, 4).Select(i => LoadAsync(i, load.Token)).ToList();
        try
        {
            var deadline = DateTime.UtcNow + Liveness;
            bool running = false, tokensOut = false, tokensIn = false, ttft = false, itl = false, kv = false, finished = false;
            long finishedAfter = finishedBefore;
            int finishedAt = int.MaxValue;
            while (DateTime.UtcNow < deadline && !(running && tokensOut && tokensIn && ttft && itl && kv && finished))
            {
                running |= (await SeriesAsync(page, $"{prefix}/requests", "running", start)).Any(v => v > 0);
                tokensOut |= (await SeriesAsync(page, $"{prefix}/tokens", "out", start)).Any(v => v > 0);
                tokensIn |= (await SeriesAsync(page, $"{prefix}/tokens", "in", start)).Any(v => v > 0);
                kv |= (await SeriesAsync(page, $"{prefix}/kv", "used", start)).Any(v => v > 0);
                finishedAfter = long.Parse(await card.GetAttributeAsync("data-requests-finished") ?? "0", CultureInfo.InvariantCulture);
                if (!finished && finishedAfter > finishedBefore)
                {
                    // The point that first counted a finished load request (charts of one model share each poll).
                    finished = true;
                    finishedAt = int.Parse(await card.Locator($"canvas[data-chart='{ConsoleServer.Model}/ttft']").GetAttributeAsync("data-points") ?? "0",
                        CultureInfo.InvariantCulture) - 1;
                }
                // Percentiles count from that point on, so their window holds this test's requests.
                ttft |= finished && (await SeriesAsync(page, $"{ConsoleServer.Model}/ttft", "p50", finishedAt)).Any(v => v > 0);
                itl |= finished && (await SeriesAsync(page, $"{ConsoleServer.Model}/itl", "p50", finishedAt)).Any(v => v > 0);
                await Task.Delay(250, Ct);
            }
            Assert.True(running, "the requests chart never showed a running request");
            Assert.True(tokensOut, "the tokens/s chart never showed output tokens");
            Assert.True(tokensIn, "the tokens/s chart never showed prompt tokens");
            Assert.True(kv, "the KV-cache chart never left zero");
            Assert.True(finished, $"requests finished stayed at {finishedBefore}");
            Assert.True(ttft, "the TTFT chart never showed a percentile");
            Assert.True(itl, "the inter-token latency chart never showed a percentile");
            int points = int.Parse(await tokensChart.GetAttributeAsync("data-points") ?? "0", CultureInfo.InvariantCulture);
            Assert.True(points > start, $"no new points after {start}");
            await ConsoleFixture.ScreenshotAsync(page, "dashboard-under-load");
        }
        finally
        {
            await load.CancelAsync();
            await Task.WhenAll(clients);
        }
    }

    [Fact]
    public async Task Windowed_percentiles_interpolate_within_buckets_like_histogram_quantile()
    {
        var page = await OpenAsync("/#playground", ConsoleServer.ApiKey);
        // 10 observations ≤ 0.1 s and 10 in (0.1, 0.2] since the older snapshot; 5 older ones ≤ 0.1 s do not count.
        var result = await page.EvaluateAsync<double?[]>("""
            async () => {
              const { windowQuantile } = await import('/console/histogram.js');
              const older = { bounds: [0.1, 0.2], cumulative: [5, 5, 5], count: 5 };
              const newer = { bounds: [0.1, 0.2], cumulative: [15, 25, 25], count: 25 };
              return [windowQuantile(0.5, newer, older), windowQuantile(0.75, newer, older), windowQuantile(0.5, older, older)];
            }
            """);
        Assert.NotNull(result);
        Assert.Equal(0.1, result[0]!.Value, 9);
        Assert.Equal(0.15, result[1]!.Value, 9);
        Assert.Null(result[2]);
    }

    private async Task<IPage> OpenAsync(string path, string? apiKey)
    {
        var page = await fixture.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("401", StringComparison.Ordinal))
            {
                problems.Add(message.Text + " " + message.Location);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        if (apiKey is not null)
        {
            // The key field keeps its value in session storage; set it before the page's script reads it.
            await page.Context.AddInitScriptAsync($"sessionStorage.setItem('llmserve.apiKey', {JsonSerializer.Serialize(apiKey)})");
        }
        await page.GotoAsync(path);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        Assert.Empty(problems);
        return page;
    }

    /// <summary>The numbers (gaps left out) a chart has drawn for one series, from its <paramref name="skip"/>th point on.</summary>
    private static async Task<double[]> SeriesAsync(IPage page, string chart, string series, int skip)
    {
        string? json = await page.Locator($"canvas[data-chart='{chart}']").GetAttributeAsync("data-series");
        if (json is null)
        {
            return [];
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty(series).EnumerateArray().Skip(skip)
            .Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble()).ToArray();
    }

    /// <summary>Streams chat completions back to back until cancelled, like a user of the API would.</summary>
    private async Task LoadAsync(int client, CancellationToken cancel)
    {
        using var http = fixture.Server.Client();
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                using var response = await http.PostAsJsonAsync("v1/chat/completions", new
                {
                    model = ConsoleServer.Model,
                    messages = new[] { new { role = "user", content = $"Load {client}: the scheduler decides which sequences run." } },
                    max_tokens = 48,
                    stream = true,
                }, cancel);
                await response.Content.ReadAsStringAsync(cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
