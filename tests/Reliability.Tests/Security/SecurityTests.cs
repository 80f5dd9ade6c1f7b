using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Reliability.Tests.Load;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Security;

/// <summary>
/// The system as deployed: NATS with one restricted user per service (the deployment's nats.conf), API keys, rate
/// limits and request limits on the gateway. Checks that it serves, that nothing outside a request can read its
/// stream, and that the limits answer with the right statuses.
/// </summary>
public sealed class SecurityTests(SecuredClusterFixture fixture) : IClassFixture<SecuredClusterFixture>
{
    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http(string? key)
    {
        var http = new HttpClient { BaseAddress = Cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return http;
    }

    private static StringContent Chat(string prompt, int maxTokens, bool stream) => new(JsonSerializer.Serialize(new
    {
        model = "tiny",
        messages = new[] { new { role = "user", content = prompt } },
        max_tokens = maxTokens,
        temperature = 0,
        stream,
    }), Encoding.UTF8, "application/json");

    private async Task<NatsBus> ConnectAsAsync(string user) =>
        await NatsBus.ConnectAsync(new NatsBusOptions { Url = Cluster.Nats.Url, User = user, Password = SecuredClusterFixture.Password(user) },
            cancellationToken: Ct);

    /// <summary>Streams one completion and returns the text of its content deltas, in order.</summary>
    private async Task<string> StreamTextAsync(HttpClient http, string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Chat(prompt, 24, stream: true) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var text = new StringBuilder();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }
            using var json = JsonDocument.Parse(line["data: ".Length..]);
            Assert.False(json.RootElement.TryGetProperty("error", out _), line);
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
            }
        }
        return text.ToString();
    }

    [Fact]
    public async Task Every_service_on_its_own_restricted_nats_user_serves_a_completion()
    {
        using var http = Http(SecuredClusterFixture.ApiKeys[0]);
        using var response = await http.PostAsync("v1/chat/completions", Chat("Hello there", 8, stream: false), Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}\n{Cluster.Logs}");
        Assert.DoesNotContain("Permissions Violation", Cluster.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_are_unreadable_to_other_nats_users_and_to_guessed_subjects()
    {
        // Another service's user tries the wildcard; the server refuses the subscription. A gateway guesses subjects.
        await using var worker = await ConnectAsAsync("worker");
        await using var detokenizer = await ConnectAsAsync("detokenizer");
        await using var gateway = await ConnectAsAsync("gateway");
        await using var workerWildcard = await worker.SubscribeAsync(Subjects.ReplyPrefix + ".>", cancellationToken: Ct);
        await using var detokWildcard = await detokenizer.SubscribeAsync(Subjects.ReplyPrefix + ".>", cancellationToken: Ct);
        var guesses = new List<IBusSubscription>();
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            byte[] id = new byte[16];
            random.NextBytes(id);
            guesses.Add(await gateway.SubscribeAsync($"{Subjects.ReplyPrefix}.*.{Convert.ToHexStringLower(id)}", cancellationToken: Ct));
        }
        await gateway.FlushAsync(Ct);

        using var http = Http(SecuredClusterFixture.ApiKeys[1]);
        string text = await StreamTextAsync(http, "a secret prompt");
        Assert.NotEmpty(text);

        int seen = await CountAsync(workerWildcard) + await CountAsync(detokWildcard);
        foreach (var guess in guesses)
        {
            seen += await CountAsync(guess, TimeSpan.FromMilliseconds(5));
        }
        ScenarioReport.Write("reply-isolation", $"streamed {text.Length} chars; messages seen by the worker user's and detokenizer user's '{Subjects.ReplyPrefix}.>' and 200 guessed reply subjects: {seen}");
        Assert.Equal(0, seen);
        foreach (var guess in guesses)
        {
            await guess.DisposeAsync();
        }
    }

    /// <summary>How many messages a subscription holds now (waits briefly for stragglers).</summary>
    private static async Task<int> CountAsync(IBusSubscription subscription, TimeSpan? wait = null)
    {
        int count = 0;
        using var stop = new CancellationTokenSource(wait ?? TimeSpan.FromMilliseconds(500));
        try
        {
            await foreach (var _ in subscription.ReadAllAsync(stop.Token))
            {
                count++;
            }
        }
        catch (OperationCanceledException)
        {
        }
        return count;
    }

    [Fact]
    public async Task Two_concurrent_requests_of_two_keys_each_get_only_their_own_tokens()
    {
        using var alice = Http(SecuredClusterFixture.ApiKeys[0]);
        using var bob = Http(SecuredClusterFixture.ApiKeys[1]);
        string[] prompts = ["alpha alpha alpha", "zulu yankee xray whiskey"];
        for (int round = 0; round < 3; round++)
        {
            var together = await Task.WhenAll(StreamTextAsync(alice, prompts[0]), StreamTextAsync(bob, prompts[1]));
            string aliceAlone = await StreamTextAsync(alice, prompts[0]);
            string bobAlone = await StreamTextAsync(bob, prompts[1]);
            // Greedy decoding: a stream equals the same request served alone, so no token of the other one is in it.
            Assert.Equal(aliceAlone, together[0]);
            Assert.Equal(bobAlone, together[1]);
            Assert.NotEqual(together[0], together[1]);
        }
    }

    [Fact]
    public async Task Keys_rate_limits_and_request_limits_answer_with_their_statuses()
    {
        using var anonymous = Http(null);
        using var wrong = Http("not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("v1/chat/completions", Chat("hi", 4, false), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("v1/models", Ct)).StatusCode);

        using var alice = Http(SecuredClusterFixture.ApiKeys[0]);
        using var headers = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        headers.Headers.Add("X-Big", new string('a', 40 * 1024));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await alice.SendAsync(headers, Ct)).StatusCode);
        using var many = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        for (int i = 0; i < 100; i++)
        {
            many.Headers.Add($"X-H{i}", "v");
        }
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await alice.SendAsync(many, Ct)).StatusCode);
        Assert.Equal(413, await StatusOfDeclaredBodyAsync(5 * 1024 * 1024));

        // Per key: alice exhausts her bucket, bob is unaffected.
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 25; i++)
        {
            using var r = await alice.GetAsync("v1/models", Ct);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(r.Headers.RetryAfter);
            }
        }
        using var bobs = Http(SecuredClusterFixture.ApiKeys[1]);
        var bobStatus = (await bobs.GetAsync("v1/models", Ct)).StatusCode;
        ScenarioReport.Write("limits", $"alice 25 quick requests: {statuses.Count(s => s == HttpStatusCode.OK)} x 200, {statuses.Count(s => s == HttpStatusCode.TooManyRequests)} x 429; bob next: {(int)bobStatus}");
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.OK, bobStatus);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // let alice's bucket refill for the other tests
    }

    /// <summary>Sends only the headers of a request declaring a body of <paramref name="length"/> bytes; returns the status.</summary>
    private async Task<int> StatusOfDeclaredBodyAsync(long length)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, Cluster.HttpPort, Ct);
        string head = $"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {SecuredClusterFixture.ApiKeys[0]}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), Ct);
        var buffer = new byte[512];
        int read = await socket.ReceiveAsync(buffer, Ct);
        string line = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        return int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("Tokenizer")]
    [InlineData("Detokenizer")]
    public async Task A_service_refuses_to_start_without_credentials_when_auth_is_required(string service)
    {
        await using var process = ServiceProcess.Start(service, new Dictionary<string, string>
        {
            ["Messaging__Url"] = Cluster.Nats.Url,
            ["Messaging__RequireAuth"] = "true",
            [$"{service}__Model"] = Cluster.Model,
            [$"{service}__ModelDirectory"] = Cluster.ModelDirectory,
        });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }
        Assert.True(process.HasExited, $"{service} kept running without credentials:\n{process.Output}");
        Assert.Contains("RequireAuth is set but no NATS credentials", process.Output, StringComparison.Ordinal);
    }
}
