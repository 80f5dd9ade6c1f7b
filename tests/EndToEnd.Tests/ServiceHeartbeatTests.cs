using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.TestSupport;

namespace LlmServe.EndToEnd.Tests;

/// <summary>
/// Real tokenizer and detokenizer processes heartbeat over a real nats-server and the gateway process lists them in
/// <c>/console/api/stats</c>; a killed detokenizer goes stale and its restart shows as a new instance.
/// </summary>
public sealed class ServiceHeartbeatTests : IAsyncLifetime
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(60);

    private PipelineCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions
    {
        DetokenizerShards = 2,
        // Quick beats, so going stale (3 silent intervals) takes about a second after the kill.
        Environment = new Dictionary<string, string>
        {
            ["Tokenizer__HeartbeatInterval"] = "00:00:00.250",
            ["Detokenizer__HeartbeatInterval"] = "00:00:00.250",
        },
    });

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<List<JsonElement>> ServicesAsync()
    {
        using var http = new HttpClient { BaseAddress = _cluster.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("console/api/stats", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return [.. json.RootElement.GetProperty("services").EnumerateArray().Select(s => s.Clone())];
    }

    /// <summary>Polls the stats until <paramref name="condition"/> holds; fails with the last answer and the logs.</summary>
    private async Task<List<JsonElement>> WaitForAsync(Func<List<JsonElement>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Liveness;
        List<JsonElement> services = [];
        while (DateTime.UtcNow < deadline)
        {
            services = await ServicesAsync();
            if (condition(services))
            {
                return services;
            }
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"Stats never showed {what}: {string.Join(", ", services)}\n{_cluster.Logs}");
        return services;
    }

    private static bool Healthy(JsonElement s) => s.GetProperty("healthy").GetBoolean();

    private static string Of(JsonElement s, string property) => s.GetProperty(property).ToString();

    [Fact]
    public async Task Stats_list_every_tokenizer_and_detokenizer_and_a_killed_one_goes_stale_until_its_restart_beats()
    {
        var services = await WaitForAsync(
            s => s.Count(x => Of(x, "service") == ServiceKinds.Tokenizer && Healthy(x)) == 1
                && s.Count(x => Of(x, "service") == ServiceKinds.Detokenizer && Healthy(x)) == 2,
            "one healthy tokenizer and two healthy detokenizer shards");
        Assert.All(services, s => Assert.Equal(_cluster.Model, Of(s, "model")));
        var detokenizers = services.Where(s => Of(s, "service") == ServiceKinds.Detokenizer).ToList();
        Assert.Equal(["0", "1"], detokenizers.Select(s => Of(s, "shard")).Order(StringComparer.Ordinal));
        Assert.All(detokenizers, s => Assert.Equal("2", Of(s, "shard_count")));
        Assert.Equal(services.Count, services.Select(s => Of(s, "instance")).Distinct(StringComparer.Ordinal).Count());

        string killedInstance = Of(detokenizers.Single(s => Of(s, "shard") == "1"), "instance");
        var victim = _cluster.Detokenizers[1];
        victim.Kill();
        await WaitForAsync(
            s => s.Any(x => Of(x, "instance") == killedInstance && !Healthy(x) && Of(x, "health") == "stale")
                && s.Count(x => Healthy(x)) == 2,
            "the killed shard stale and the others healthy");

        var replacement = _cluster.Restart(victim);
        await replacement.WaitForOutputAsync("Detokenizer ready", Liveness);
        await WaitForAsync(
            s => s.Any(x => Of(x, "service") == ServiceKinds.Detokenizer && Of(x, "shard") == "1" && Healthy(x) && Of(x, "instance") != killedInstance),
            "the restarted shard as a new healthy instance");
    }
}
