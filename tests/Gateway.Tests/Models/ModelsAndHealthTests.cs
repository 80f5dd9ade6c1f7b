using System.Net;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Tests.Infrastructure;

namespace LlmServe.Gateway.Tests.Models;

/// <summary>/v1/models from configuration and scheduler status, /health and /ready.</summary>
public sealed class ModelsAndHealthTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await GatewayHost.StartAsync();

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SchedulerStatus Status(string model, string replica, bool serving = true) => new()
    {
        Model = model,
        ReplicaId = replica,
        Serving = serving,
        WorkersReady = serving ? 2 : 0,
        StagesExpected = 2,
        MaxModelLen = 8192,
        Running = 3,
        Waiting = 1,
        KvCacheUsage = 0.25f,
        PrefixCacheQueries = 100,
        PrefixCacheHits = 40,
        CreatedUnix = 1_750_000_000,
    };

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _host.Client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.Clone();
    }

    [Fact]
    public async Task Models_list_has_configured_models_and_aliases()
    {
        var list = await GetJsonAsync("v1/models");
        Assert.Equal("list", list.GetProperty("object").GetString());
        var ids = list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(new[] { GatewayHost.Alias, GatewayHost.OtherModel, GatewayHost.Model }, ids);
        var alias = list.GetProperty("data")[0];
        Assert.Equal(GatewayHost.Model, alias.GetProperty("root").GetString());
        Assert.Equal("model", alias.GetProperty("object").GetString());
    }

    [Fact]
    public async Task A_model_announced_by_a_scheduler_appears_and_can_be_served()
    {
        await _host.PublishStatusUntilAsync(async () =>
        {
            using var response = await _host.Client.GetAsync("v1/models/meta-llama/Llama-3.1-8B", Ct);
            return response.StatusCode == HttpStatusCode.OK;
        }, Status("meta-llama/Llama-3.1-8B", "r0"));
        var model = await GetJsonAsync("v1/models/meta-llama/Llama-3.1-8B");
        Assert.Equal(8192, model.GetProperty("max_model_len").GetInt32());
        Assert.Equal(1_750_000_000, model.GetProperty("created").GetInt64());
    }

    [Fact]
    public async Task Unknown_model_id_is_404()
    {
        using var response = await _host.Client.GetAsync("v1/models/nope", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("model_not_found", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Health_is_up_and_ready_waits_for_serving_schedulers_of_every_model()
    {
        var health = await GetJsonAsync("health");
        Assert.Equal("ok", health.GetProperty("status").GetString());

        using (var notReady = await _host.Client.GetAsync("ready", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            using var json = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync(Ct));
            Assert.Equal(2, json.RootElement.GetProperty("models_not_ready").GetArrayLength());
        }

        async Task<bool> ReadyAsync()
        {
            using var ready = await _host.Client.GetAsync("ready", Ct);
            return ready.StatusCode == HttpStatusCode.OK;
        }

        // One model served, the other's only replica not serving: still not ready.
        await _host.PublishStatusUntilAsync(async () =>
        {
            using var models = await _host.Client.GetAsync("v1/models/meta/announced", Ct);
            return models.StatusCode == HttpStatusCode.OK;
        }, Status(GatewayHost.Model, "r0"), Status(GatewayHost.OtherModel, "r0", serving: false), Status("meta/announced", "r0"));
        using (var stillNot = await _host.Client.GetAsync("ready", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stillNot.StatusCode);
            string body = await stillNot.Content.ReadAsStringAsync(Ct);
            Assert.Contains(GatewayHost.OtherModel, body, StringComparison.Ordinal);
            Assert.DoesNotContain(GatewayHost.Model + "\"", body, StringComparison.Ordinal);
        }

        await _host.PublishStatusUntilAsync(ReadyAsync,
            Status(GatewayHost.Model, "r0"), Status(GatewayHost.OtherModel, "r1"), Status("meta/announced", "r0"));
    }
}
