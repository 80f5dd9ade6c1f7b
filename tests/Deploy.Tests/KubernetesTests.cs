using System.Globalization;
using System.Text.RegularExpressions;
using LlmServe.Deploy.Tests.Infrastructure;

namespace LlmServe.Deploy.Tests;

public sealed partial class KubernetesTests
{
    private static readonly ManifestSet Base = ManifestSet.LoadResources(RepoFiles.At("deploy/k8s/base"));

    public static TheoryData<string> Kustomizations => ["base", "overlays/cpu", "overlays/pp2", "overlays/autoscale"];

    /// <summary>The overlay as kubectl renders it (patches applied), or its listed resources where kubectl is absent.</summary>
    private static ManifestSet Load(string kustomization) => Rendered.GetOrAdd(kustomization, k =>
    {
        string directory = RepoFiles.At("deploy/k8s/" + k);
        return ManifestSet.Render(directory) ?? ManifestSet.LoadResources(directory);
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ManifestSet> Rendered = new(StringComparer.Ordinal);

    [Fact]
    public void Kustomizations_reference_existing_files_and_patch_existing_objects()
    {
        var kustomizations = RepoFiles.Kustomizations().ToList();
        Assert.Equal(4, kustomizations.Count);
        foreach (string file in kustomizations)
        {
            string directory = Path.GetDirectoryName(file)!;
            var kustomization = YamlTree.Load(file);
            foreach (string resource in kustomization.List("resources").OfType<string>())
            {
                string path = Path.Combine(directory, resource);
                Assert.True(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), $"{file}: {resource}");
            }
            foreach (var patch in kustomization.Maps("patches"))
            {
                string path = Path.Combine(directory, patch.Str("path")!);
                Assert.True(File.Exists(path), $"{file}: {path}");
                var target = YamlTree.Load(path);
                var patched = new Manifest(path, target);
                Assert.True(Base.Manifests.Any(m => m.Kind == patched.Kind && m.Name == patched.Name), $"{path} patches {patched} which the base lacks");
            }
        }
        // Every manifest file in the base is listed, so none is silently left out of a deployment.
        var listed = YamlTree.Load(RepoFiles.At("deploy/k8s/base/kustomization.yaml")).List("resources").OfType<string>().ToHashSet(StringComparer.Ordinal);
        var onDisk = Directory.EnumerateFiles(RepoFiles.At("deploy/k8s/base"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");
        Assert.All(onDisk, f => Assert.Contains(f!, listed));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Workloads_have_matching_selectors_probes_resources_and_a_restricted_security_context(string kustomization)
    {
        var set = Load(kustomization);
        Assert.NotEmpty(set.Workloads);
        foreach (var workload in set.Workloads)
        {
            var selector = workload.Body.Path("spec", "selector", "matchLabels").Strings();
            Assert.NotEmpty(selector);
            Assert.True(selector.Selects(workload.TemplateLabels), $"{workload}: selector does not match template labels");
            var podSecurity = workload.PodSpec.Map("securityContext");
            Assert.Equal("true", podSecurity.Str("runAsNonRoot"));
            foreach (var container in workload.Containers)
            {
                string where = $"{workload} container {container.Str("name")}";
                Assert.True(container.Map("readinessProbe") is not null, $"{where}: readinessProbe");
                Assert.True(container.Map("livenessProbe") is not null, $"{where}: livenessProbe");
                foreach (string section in new[] { "requests", "limits" })
                {
                    var values = container.Path("resources", section).Strings();
                    Assert.True(values.ContainsKey("cpu") && values.ContainsKey("memory"), $"{where}: resources.{section} cpu and memory");
                }
                var security = container.Map("securityContext");
                Assert.True(security.Str("runAsNonRoot") == "true", $"{where}: runAsNonRoot");
                Assert.True(security.Str("readOnlyRootFilesystem") == "true", $"{where}: readOnlyRootFilesystem");
                Assert.True(security.Str("allowPrivilegeEscalation") == "false", $"{where}: allowPrivilegeEscalation");
                Assert.Contains("ALL", security.Path("capabilities").List("drop").OfType<string>());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Environment_keys_bind_to_real_options_properties_and_references_resolve(string kustomization)
    {
        var set = Load(kustomization);
        var problems = new List<string>();
        foreach (var workload in set.Workloads)
        {
            foreach (var container in workload.Containers)
            {
                string? service = ServiceOfImage(container.Str("image"));
                foreach (var env in container.Maps("env"))
                {
                    string name = env.Str("name")!;
                    if (service is not null && !OptionsCatalog.IsRuntimeVariable(name) && OptionsCatalog.Check(service, name, env.Str("value")) is { } problem)
                    {
                        problems.Add($"{workload}: {problem}");
                    }
                    if (env.Path("valueFrom", "secretKeyRef") is { } secret && !HasKey(set, "Secret", secret))
                    {
                        problems.Add($"{workload}: {name} reads missing secret {secret.Str("name")}/{secret.Str("key")}");
                    }
                    if (env.Path("valueFrom", "configMapKeyRef") is { } config && !HasKey(set, "ConfigMap", config))
                    {
                        problems.Add($"{workload}: {name} reads missing config map {config.Str("name")}/{config.Str("key")}");
                    }
                }
            }
            foreach (var volume in workload.PodSpec.Maps("volumes"))
            {
                if (volume.Map("persistentVolumeClaim")?.Str("claimName") is { } claim && !set.Manifests.Any(m => m.Kind == "PersistentVolumeClaim" && m.Name == claim))
                {
                    problems.Add($"{workload}: missing claim {claim}");
                }
                if (volume.Map("configMap")?.Str("name") is { } map && !set.Manifests.Any(m => m.Kind == "ConfigMap" && m.Name == map))
                {
                    problems.Add($"{workload}: missing config map {map}");
                }
            }
            var mounts = workload.Containers.SelectMany(c => c.Maps("volumeMounts")).Select(m => m.Str("name")).ToHashSet(StringComparer.Ordinal);
            var volumes = workload.PodSpec.Maps("volumes").Select(v => v.Str("name")).ToHashSet(StringComparer.Ordinal);
            problems.AddRange(mounts.Where(m => !volumes.Contains(m)).Select(m => $"{workload}: mounts undeclared volume {m}"));
        }
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Services_policies_budgets_and_autoscalers_select_existing_workloads(string kustomization)
    {
        var set = Load(kustomization);
        var workloads = set.Workloads.ToList();
        bool SelectsSome(Dictionary<string, string> selector) => selector.Count > 0 && workloads.Any(w => selector.Selects(w.TemplateLabels));

        foreach (var service in set.OfKind("Service"))
        {
            var selector = service.Body.Path("spec", "selector").Strings();
            Assert.True(SelectsSome(selector), $"{service}: selects no workload");
            var target = workloads.First(w => selector.Selects(w.TemplateLabels));
            var portNames = target.Containers.SelectMany(c => c.Maps("ports")).Select(p => p.Str("name")).ToHashSet(StringComparer.Ordinal);
            foreach (var port in service.Body.Map("spec").Maps("ports"))
            {
                string? targetPort = port.Str("targetPort");
                Assert.True(targetPort is null || portNames.Contains(targetPort) || int.TryParse(targetPort, CultureInfo.InvariantCulture, out _), $"{service}: target port {targetPort} is not a container port of {target}");
            }
        }
        foreach (var budget in set.OfKind("PodDisruptionBudget"))
        {
            Assert.True(SelectsSome(budget.Body.Path("spec", "selector", "matchLabels").Strings()), $"{budget}: selects no workload");
        }
        foreach (var policy in set.OfKind("NetworkPolicy"))
        {
            var selector = policy.Body.Path("spec", "podSelector", "matchLabels").Strings();
            Assert.True(selector.Count == 0 || SelectsSome(selector), $"{policy}: selects no workload");
            foreach (var rule in policy.Body.Map("spec").Maps("ingress"))
            {
                foreach (var peer in rule.Maps("from").Where(p => p.ContainsKey("podSelector")))
                {
                    Assert.True(SelectsSome(peer.Path("podSelector", "matchLabels").Strings()), $"{policy}: a 'from' selects no workload");
                }
            }
        }
        foreach (var scaler in set.OfKind("HorizontalPodAutoscaler").Concat(set.OfKind("ScaledObject")))
        {
            var target = scaler.Body.Path("spec", "scaleTargetRef");
            Assert.Contains(workloads, w => w.Kind == (target.Str("kind") ?? "Deployment") && w.Name == target.Str("name"));
        }
        foreach (var statefulSet in set.OfKind("StatefulSet"))
        {
            Assert.Contains(set.OfKind("Service"), s => s.Name == statefulSet.Body.Map("spec").Str("serviceName"));
        }
    }

    [Fact]
    public void Only_the_gateway_takes_outside_traffic_and_only_our_pods_reach_nats()
    {
        var policies = Base.OfKind("NetworkPolicy").ToList();
        var denyAll = Assert.Single(policies, p => p.Body.Path("spec", "podSelector", "matchLabels").Strings().Count == 0);
        Assert.Empty(denyAll.Body.Map("spec").List("ingress"));
        var open = policies.Where(p => p.Body.Map("spec").Maps("ingress").Any(r => r.List("from").Count == 0)).ToList();
        var gateway = Base.Get("Deployment", "llmserve-gateway");
        var only = Assert.Single(open);
        Assert.True(only.Body.Path("spec", "podSelector", "matchLabels").Strings().Selects(gateway.TemplateLabels));

        var nats = Base.Get("StatefulSet", "llmserve-nats");
        var natsPolicy = Assert.Single(policies, p => p.Body.Path("spec", "podSelector", "matchLabels").Strings().Selects(nats.TemplateLabels) && p.Body.Path("spec", "podSelector", "matchLabels").Strings().Count > 0);
        var clientRule = Assert.Single(natsPolicy.Body.Map("spec").Maps("ingress"), r => r.Maps("ports").Any(p => p.Str("port") == "4222"));
        var clientSelector = Assert.Single(clientRule.Maps("from")).Path("podSelector", "matchLabels").Strings();
        // Every workload that talks to NATS carries the client label; NATS itself and nothing else outside does.
        foreach (var workload in Base.Workloads.Where(w => w.Name != "llmserve-nats"))
        {
            Assert.True(clientSelector.Selects(workload.TemplateLabels), $"{workload} cannot reach NATS");
        }
    }

    [Fact]
    public void Nats_is_a_three_node_cluster_with_routes_to_every_pod_and_credentials_from_a_secret()
    {
        var nats = Base.Get("StatefulSet", "llmserve-nats");
        Assert.Equal("3", nats.Body.Map("spec").Str("replicas"));
        string headless = nats.Body.Map("spec").Str("serviceName")!;
        Assert.Equal("None", Base.Get("Service", headless).Body.Map("spec").Str("clusterIP"));
        string config = Base.Get("ConfigMap", "llmserve-nats-config").Body.Map("data").Str("nats.conf")!;
        for (int i = 0; i < 3; i++)
        {
            Assert.Contains($"nats-route://llmserve-nats-{i}.{headless}:6222", config, StringComparison.Ordinal);
        }
        var env = Assert.Single(nats.Containers).Maps("env").ToDictionary(e => e.Str("name")!, StringComparer.Ordinal);
        foreach (string variable in NatsVariableRegex().Matches(config).Select(m => m.Groups[1].Value).Distinct())
        {
            Assert.True(env.ContainsKey(variable), $"nats.conf uses ${variable} which the pod does not set");
        }
        foreach (string user in NatsPermissionsTests.Users)
        {
            var secret = env[$"NATS_{user.ToUpperInvariant()}_PASSWORD"].Path("valueFrom", "secretKeyRef");
            Assert.Equal($"{user}-password", secret.Str("key"));
        }
    }

    [Fact]
    public void Messaging_url_names_the_nats_client_service_and_port()
    {
        var natsService = Base.Get("Service", "llmserve-nats");
        string clientPort = natsService.Body.Map("spec").Maps("ports").Single(p => p.Str("name") == "client").Str("port")!;
        foreach (var workload in Base.Workloads.Where(w => w.Name != "llmserve-nats"))
        {
            var url = new Uri(workload.Containers.Single().Maps("env").Single(e => e.Str("name") == "Messaging__Url").Str("value")!);
            Assert.Equal(natsService.Name, url.Host);
            Assert.Equal(clientPort, url.Port.ToString(CultureInfo.InvariantCulture));
            // Each service logs in as its own NATS user (whose subjects nats.conf limits), with its own secret.
            var env = workload.Containers.Single().Maps("env").ToDictionary(e => e.Str("name")!, StringComparer.Ordinal);
            string user = env["Messaging__User"].Str("value")!;
            Assert.Contains(user, NatsPermissionsTests.Users);
            Assert.Equal($"llmserve-{user}", workload.Name);
            Assert.Equal($"{user}-password", env["Messaging__Password"].Path("valueFrom", "secretKeyRef").Str("key"));
            Assert.Equal("true", env["Messaging__RequireAuth"].Str("value"));
        }
    }

    [Fact]
    public void Gateway_probes_ready_and_health_on_its_listening_port_and_is_scrapeable()
    {
        var gateway = Base.Get("Deployment", "llmserve-gateway");
        var container = Assert.Single(gateway.Containers);
        var port = Assert.Single(container.Maps("ports"));
        string listening = container.Maps("env").Single(e => e.Str("name") == "ASPNETCORE_HTTP_PORTS").Str("value")!;
        Assert.Equal(listening, port.Str("containerPort"));
        Assert.Equal("/ready", container.Path("readinessProbe", "httpGet").Str("path"));
        Assert.Equal("/health", container.Path("livenessProbe", "httpGet").Str("path"));
        Assert.Equal(port.Str("name"), container.Path("readinessProbe", "httpGet").Str("port"));
        var annotations = gateway.PodTemplate.Path("metadata", "annotations").Strings();
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        Assert.Equal(listening, annotations["prometheus.io/port"]);
        var apiKey = container.Maps("env").Single(e => e.Str("name") == "Gateway__ApiKeys__0");
        Assert.Equal("llmserve-api-keys", apiKey.Path("valueFrom", "secretKeyRef").Str("name"));
        var service = Base.Get("Service", "llmserve-gateway");
        Assert.Equal("true", service.Body.Path("metadata", "labels").Str("llmserve.io/metrics"));
    }

    [Fact]
    public void Worker_is_a_gpu_statefulset_with_shared_memory_anti_affinity_and_the_read_only_model()
    {
        var worker = Base.Get("StatefulSet", "llmserve-worker");
        var container = Assert.Single(worker.Containers);
        Assert.Equal("1", container.Path("resources", "limits").Str("nvidia.com/gpu"));
        var shm = worker.PodSpec.Maps("volumes").Single(v => v.Str("name") == "dshm");
        Assert.Equal("Memory", shm.Map("emptyDir").Str("medium"));
        Assert.Contains(container.Maps("volumeMounts"), m => m.Str("name") == "dshm" && m.Str("mountPath") == "/dev/shm");
        Assert.NotNull(worker.PodSpec.Path("affinity", "podAntiAffinity"));
        var claim = Base.Get("PersistentVolumeClaim", "llmserve-models");
        Assert.Equal(["ReadOnlyMany"], claim.Body.Map("spec").List("accessModes").OfType<string>());
        Assert.Contains(container.Maps("volumeMounts"), m => m.Str("mountPath") == "/models" && m.Str("readOnly") == "true");
    }

    [Fact]
    public void Scheduler_is_a_single_replica_recreated_on_update()
    {
        var scheduler = Base.Get("Deployment", "llmserve-scheduler");
        Assert.Equal("1", scheduler.Body.Map("spec").Str("replicas"));
        Assert.Equal("Recreate", scheduler.Body.Path("spec", "strategy").Str("type"));
        Assert.DoesNotContain(Base.OfKind("HorizontalPodAutoscaler"), h => h.Body.Path("spec", "scaleTargetRef").Str("name") == scheduler.Name);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Stage_and_shard_counts_agree_with_replicas(string kustomization)
    {
        var set = Load(kustomization);
        string Env(Manifest m, string name) => m.Containers.Single().Maps("env").Single(e => e.Str("name") == name).Str("value")!;
        var worker = set.Get("StatefulSet", "llmserve-worker");
        Assert.Equal(worker.Body.Map("spec").Str("replicas"), Env(worker, "Worker__StageCount"));
        var detokenizer = set.Get("StatefulSet", "llmserve-detokenizer");
        Assert.Equal(detokenizer.Body.Map("spec").Str("replicas"), Env(detokenizer, "Detokenizer__ShardCount"));
        Assert.Equal(Env(detokenizer, "Detokenizer__ShardCount"), Env(set.Get("Deployment", "llmserve-scheduler"), "Scheduler__DetokShards"));
    }

    [Fact]
    public void Cpu_overlay_requests_no_gpu_and_selects_the_cpu_device()
    {
        var set = ManifestSet.Kubectl is null ? null : Load("overlays/cpu");
        var patch = new Manifest("worker-cpu.yaml", YamlTree.Load(RepoFiles.At("deploy/k8s/overlays/cpu/worker-cpu.yaml")));
        var container = (set?.Get("StatefulSet", "llmserve-worker") ?? patch).Containers.Single();
        Assert.Equal("cpu", container.Maps("env").Single(e => e.Str("name") == "Worker__Device").Str("value"));
        Assert.Null(container.Path("resources", "limits").Str("nvidia.com/gpu"));
    }

    [Fact]
    public void Autoscale_overlay_scales_the_gateway_on_its_real_in_flight_metric_and_drops_the_cpu_hpa()
    {
        string metrics = File.ReadAllText(RepoFiles.At("services/Gateway/Metrics/GatewayMetrics.cs"));
        const string instrument = "llmserve.gateway_requests_in_flight";
        Assert.Contains($"\"{instrument}\"", metrics, StringComparison.Ordinal);
        // The gateway's exporter writes the first dot as a colon, the rest as underscores (vLLM style).
        string prometheusName = "llmserve:" + instrument["llmserve.".Length..].Replace('.', '_');
        var scaled = YamlTree.Load(RepoFiles.At("deploy/k8s/overlays/autoscale/gateway-scaledobject.yaml"));
        var trigger = scaled.Map("spec").Maps("triggers").Single(t => t.Str("type") == "prometheus");
        Assert.Contains(prometheusName + "{", trigger.Map("metadata").Str("query")!, StringComparison.Ordinal);
        var rendered = ManifestSet.Kubectl is null ? null : Load("overlays/autoscale");
        if (rendered is not null)
        {
            Assert.DoesNotContain(rendered.OfKind("HorizontalPodAutoscaler"), h => h.Name == "llmserve-gateway");
            Assert.Contains(rendered.OfKind("HorizontalPodAutoscaler"), h => h.Name == "llmserve-tokenizer");
        }
    }

    [Fact]
    public void Secrets_are_placeholders_to_replace()
    {
        foreach (var secret in Base.OfKind("Secret"))
        {
            Assert.Contains(secret.Body.Map("stringData")!.Values.OfType<string>(), v => v.StartsWith("CHANGE-ME", StringComparison.Ordinal));
        }
    }

    private static bool HasKey(ManifestSet set, string kind, Dictionary<string, object?> reference)
    {
        var target = set.Manifests.FirstOrDefault(m => m.Kind == kind && m.Name == reference.Str("name"));
        string key = reference.Str("key")!;
        return target is not null && (target.Body.Map("stringData")?.ContainsKey(key) == true || target.Body.Map("data")?.ContainsKey(key) == true);
    }

    private static string? ServiceOfImage(string? image) =>
        RepoFiles.Services.FirstOrDefault(s => image is not null && image.StartsWith("llmserve/" + s.ToLowerInvariant(), StringComparison.Ordinal));

    [GeneratedRegex(@"\$([A-Z_][A-Z0-9_]*)")]
    private static partial Regex NatsVariableRegex();
}
