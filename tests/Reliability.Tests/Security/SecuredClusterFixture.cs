using LlmServe.Messaging.Tests.Fixtures;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Security;

/// <summary>
/// The whole system over a nats-server running the deployment's own config (deploy/compose/nats.conf: one user per
/// service, each limited to its subjects), with every service logging in as its user, and API keys on the gateway.
/// </summary>
public sealed class SecuredClusterFixture : IAsyncLifetime
{
    public static readonly string[] ApiKeys = ["key-alice", "key-bob"];

    public static readonly string[] Users = ["gateway", "tokenizer", "scheduler", "worker", "detokenizer"];

    public static string Password(string user) => $"test-{user}-secret";

    public PipelineCluster Cluster { get; private set; } = null!;

    /// <summary>deploy/compose/nats.conf with the passwords filled in and the monitoring port dropped.</summary>
    public static string NatsConfig()
    {
        string config = File.ReadAllText(Path.Combine(RepositoryLayout.Root, "deploy/compose/nats.conf"));
        config = string.Join('\n', config.Split('\n').Where(l => !l.StartsWith("http_port:", StringComparison.Ordinal)));
        foreach (string user in Users)
        {
            config = config.Replace($"${"NATS_" + user.ToUpperInvariant() + "_PASSWORD"}", $"\"{Password(user)}\"", StringComparison.Ordinal);
        }
        return config;
    }

    public async ValueTask InitializeAsync()
    {
        var perService = Users.ToDictionary(
            u => char.ToUpperInvariant(u[0]) + u[1..],
            u => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
            {
                ["Messaging__User"] = u,
                ["Messaging__Password"] = Password(u),
                ["Messaging__RequireAuth"] = "true",
            });
        Cluster = await PipelineCluster.StartAsync(new PipelineClusterOptions
        {
            NatsArguments = NatsServer.ConfigArgs(NatsConfig()),
            ServiceEnvironment = perService,
            ApiKeys = ApiKeys,
            Environment = new Dictionary<string, string>
            {
                ["Gateway__RateLimit__RequestsPerSecond"] = "5",
                ["Gateway__RateLimit__Burst"] = "10",
            },
        });
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
