using LlmServe.TestSupport;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>The deployment files under test, located from the repository root.</summary>
public static class RepoFiles
{
    public static string Root => RepositoryLayout.Root;

    public static string At(string relative) => System.IO.Path.Combine(Root, relative);

    public static string ComposeFile => At("docker-compose.yml");

    public static IReadOnlyList<string> ComposeOverrides { get; } =
        ["deploy/compose/cpu.yml", "deploy/compose/pp2.yml", "deploy/compose/dp2.yml"];

    /// <summary>Service folder name (and Dockerfile owner) for each deployable service.</summary>
    public static IReadOnlyList<string> Services { get; } = ["Gateway", "Tokenizer", "Scheduler", "Worker", "Detokenizer"];

    public static string Dockerfile(string service) => At($"services/{service}/Dockerfile");

    public static IEnumerable<string> KubernetesFiles() =>
        Directory.EnumerateFiles(At("deploy/k8s"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static IEnumerable<string> Kustomizations() =>
        KubernetesFiles().Where(f => System.IO.Path.GetFileName(f) == "kustomization.yaml");
}
