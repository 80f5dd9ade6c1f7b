using System.Text.RegularExpressions;
using LlmServe.Deploy.Tests.Infrastructure;

namespace LlmServe.Deploy.Tests;

public sealed partial class ComposeTests
{
    private static readonly ComposeFile Base = ComposeFile.Load(RepoFiles.ComposeFile);

    public static TheoryData<string> AllFiles => ["docker-compose.yml", .. RepoFiles.ComposeOverrides];

    public static TheoryData<string> Overrides => [.. RepoFiles.ComposeOverrides];

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_build_points_at_an_existing_context_and_dockerfile(string file)
    {
        // Paths in override files resolve against the first file's directory: the repository root.
        foreach (var (name, service) in ComposeFile.Load(RepoFiles.At(file)).Services)
        {
            if (service.Map("build") is not { } build)
            {
                continue;
            }
            Assert.True(Directory.Exists(RepoFiles.At(build.Str("context") ?? ".")), $"{name}: build context");
            string dockerfile = build.Str("dockerfile") ?? "Dockerfile";
            Assert.True(File.Exists(RepoFiles.At(dockerfile)), $"{name}: {dockerfile} does not exist");
            Assert.NotNull(service.Str("image"));
        }
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Environment_keys_bind_to_real_options_properties(string file)
    {
        var problems = new List<string>();
        foreach (var (name, service) in ComposeFile.Load(RepoFiles.At(file)).Services)
        {
            string? kind = ComposeFile.ServiceKind(service) ?? ComposeFile.ServiceKind(Base.Services.GetValueOrDefault(name) ?? []);
            foreach (var (key, value) in ComposeFile.Environment(service))
            {
                if (name == "nats" || OptionsCatalog.IsRuntimeVariable(key))
                {
                    continue;
                }
                Assert.NotNull(kind);
                if (OptionsCatalog.Check(kind, key, value) is { } problem)
                {
                    problems.Add($"{name}: {problem}");
                }
            }
        }
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_variable_without_a_default_is_in_env_example(string file)
    {
        var example = File.ReadAllLines(RepoFiles.At(".env.example"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=')[0])
            .ToHashSet(StringComparer.Ordinal);
        var missing = ComposeFile.Load(RepoFiles.At(file)).VariableReferences()
            .Where(v => !v.HasDefault && !example.Contains(v.Name))
            .Select(v => v.Name)
            .Distinct()
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Services_wait_for_a_healthy_nats_that_has_a_healthcheck_on_its_monitoring_port()
    {
        var nats = Base.Services["nats"];
        var test = string.Join(' ', nats.Map("healthcheck").List("test").OfType<string>());
        Assert.Contains("http://127.0.0.1:8222/healthz", test, StringComparison.Ordinal);
        Assert.Contains("nats.conf", string.Join(' ', nats.List("volumes").OfType<string>()), StringComparison.Ordinal);
        foreach (var (name, service) in Base.Services.Where(s => s.Key != "nats"))
        {
            Assert.Equal("service_healthy", service.Path("depends_on", "nats").Str("condition"));
            Assert.True(service.Str("read_only") == "true", $"{name}: read_only");
            Assert.Contains("/tmp", service.List("tmpfs").OfType<string>());
        }
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Depends_on_names_existing_services_and_no_container_names_block_scaling(string file)
    {
        var compose = ComposeFile.Load(RepoFiles.At(file));
        var known = Base.Services.Keys.Concat(compose.Services.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, service) in compose.Services)
        {
            Assert.False(service.ContainsKey("container_name"), $"{name}: container_name prevents --scale");
            foreach (string dependency in service.Map("depends_on")?.Keys ?? Enumerable.Empty<string>())
            {
                Assert.Contains(dependency, known);
            }
        }
    }

    [Fact]
    public void Only_the_gateway_and_nats_monitor_publish_host_ports_so_the_rest_scale()
    {
        var withPorts = Base.Services.Where(s => s.Value.ContainsKey("ports")).Select(s => s.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["gateway", "nats"], withPorts);
        Assert.False(Base.Services["tokenizer"].ContainsKey("ports"));
    }

    [Fact]
    public void Ports_agree_between_compose_the_gateway_image_and_nats()
    {
        var gateway = Base.Services["gateway"];
        string mapping = Assert.Single(gateway.List("ports").OfType<string>());
        string containerPort = mapping.Split(':')[^1];
        Assert.Equal(containerPort, ComposeFile.Environment(gateway)["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal(containerPort, Dockerfile.Load(RepoFiles.Dockerfile("Gateway")).FinalEnvironment()["ASPNETCORE_HTTP_PORTS"]);
        Assert.Contains($"/dev/tcp/127.0.0.1/{containerPort}", string.Join(' ', gateway.Map("healthcheck").List("test").OfType<string>()), StringComparison.Ordinal);

        string natsConf = File.ReadAllText(RepoFiles.At("deploy/compose/nats.conf"));
        string clientPort = NatsPortRegex().Match(natsConf).Groups[1].Value;
        string monitorPort = NatsMonitorPortRegex().Match(natsConf).Groups[1].Value;
        Assert.EndsWith(":" + monitorPort, Assert.Single(Base.Services["nats"].List("ports").OfType<string>()), StringComparison.Ordinal);
        foreach (var (name, service) in Base.Services.Where(s => s.Key != "nats"))
        {
            var url = new Uri(ComposeFile.Environment(service)["Messaging__Url"]);
            Assert.True(url.Host == "nats" && url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == clientPort, $"{name}: {url}");
        }
    }

    [Fact]
    public void Nats_config_has_one_user_per_service_whose_password_the_nats_service_and_that_service_share()
    {
        string natsConf = File.ReadAllText(RepoFiles.At("deploy/compose/nats.conf"));
        var variables = NatsVariableRegex().Matches(natsConf).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(NatsPermissionsTests.Users.Select(u => $"NATS_{u.ToUpperInvariant()}_PASSWORD"), variables);
        var env = ComposeFile.Environment(Base.Services["nats"]);
        Assert.All(variables, v => Assert.Contains(v, env.Keys));
        // Every service logs in as its own user, and refuses to start without credentials.
        foreach (var (name, service) in Base.Services.Where(s => s.Key != "nats"))
        {
            string user = ComposeFile.ServiceKind(service)!.ToLowerInvariant();
            var serviceEnv = ComposeFile.Environment(service);
            Assert.True(user == serviceEnv["Messaging__User"], $"{name} logs in as {serviceEnv["Messaging__User"]}");
            Assert.Equal(env[$"NATS_{user.ToUpperInvariant()}_PASSWORD"], serviceEnv["Messaging__Password"]);
            Assert.Equal("true", serviceEnv["Messaging__RequireAuth"]);
        }
    }

    [Fact]
    public void Worker_reserves_a_gpu_and_mounts_the_model_read_only()
    {
        var worker = Base.Services["worker"];
        var device = Assert.Single(worker.Path("deploy", "resources", "reservations").Maps("devices"));
        Assert.Contains("gpu", device.List("capabilities").OfType<string>());
        foreach (string name in new[] { "worker", "tokenizer", "detokenizer" })
        {
            var volume = Assert.Single(Base.Services[name].Maps("volumes"));
            Assert.Equal("true", volume.Str("read_only"));
            Assert.Equal("${MODEL_DIR:?set MODEL_DIR in .env}", volume.Str("source"));
            string directory = ComposeFile.Environment(Base.Services[name])[$"{char.ToUpperInvariant(name[0])}{name[1..]}__ModelDirectory"];
            Assert.Equal(volume.Str("target"), directory);
        }
    }

    [Fact]
    public void Detokenizer_shards_agree_with_the_scheduler()
    {
        var scheduler = ComposeFile.Environment(Base.Services["scheduler"]);
        var detokenizer = ComposeFile.Environment(Base.Services["detokenizer"]);
        Assert.Equal(scheduler["Scheduler__DetokShards"], detokenizer["Detokenizer__ShardCount"]);
    }

    [Theory]
    [MemberData(nameof(Overrides))]
    public void Override_services_without_a_build_extend_one_of_the_base(string file)
    {
        foreach (var (name, service) in ComposeFile.Load(RepoFiles.At(file)).Services)
        {
            Assert.True(service.ContainsKey("build") || Base.Services.ContainsKey(name), $"{file}: {name} is neither built nor in docker-compose.yml");
        }
    }

    [Fact]
    public void Cpu_override_drops_the_gpu_reservation_and_selects_the_cpu_device()
    {
        string path = RepoFiles.At("deploy/compose/cpu.yml");
        var worker = ComposeFile.Load(path).Services["worker"];
        Assert.Equal("cpu", ComposeFile.Environment(worker)["Worker__Device"]);
        Assert.Equal("!reset", YamlTree.TagAt(path, "services", "worker", "deploy"));
    }

    [Fact]
    public void Pipeline_override_runs_every_stage_on_its_own_gpu_and_parks_the_single_worker()
    {
        var pp2 = ComposeFile.Load(RepoFiles.At("deploy/compose/pp2.yml")).Services;
        Assert.NotEmpty(pp2["worker"].List("profiles"));
        var stages = pp2.Where(s => s.Key.StartsWith("worker-", StringComparison.Ordinal)).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        int count = int.Parse(ComposeFile.Environment(stages[0].Value)["Worker__StageCount"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(count, stages.Count);
        for (int i = 0; i < stages.Count; i++)
        {
            var env = ComposeFile.Environment(stages[i].Value);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), env["Worker__StageIndex"]);
            Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), env["Worker__StageCount"]);
            var device = Assert.Single(stages[i].Value.Path("deploy", "resources", "reservations").Maps("devices"));
            Assert.Equal([i.ToString(System.Globalization.CultureInfo.InvariantCulture)], device.List("device_ids").OfType<string>());
        }
    }

    [Fact]
    public void Data_parallel_override_pairs_each_scheduler_with_a_worker_of_the_same_replica()
    {
        var dp2 = ComposeFile.Load(RepoFiles.At("deploy/compose/dp2.yml")).Services;
        var replicas = new[] { Base.Services["scheduler"], dp2["scheduler-1"] }
            .Select(s => ComposeFile.Environment(s)["Scheduler__ReplicaId"]).ToList();
        var workers = new[] { Base.Services["worker"], dp2["worker-1"] }
            .Select(s => ComposeFile.Environment(s)["Worker__ReplicaId"]).ToList();
        Assert.Equal(["0", "1"], replicas);
        Assert.Equal(replicas, workers);
    }

    [GeneratedRegex(@"^port:\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex NatsPortRegex();

    [GeneratedRegex(@"^http_port:\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex NatsMonitorPortRegex();

    [GeneratedRegex(@"\$([A-Z_][A-Z0-9_]*)")]
    private static partial Regex NatsVariableRegex();
}
