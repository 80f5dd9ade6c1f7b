using System.Diagnostics;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>The Kubernetes objects of the kustomize base, or of an overlay rendered by <c>kubectl kustomize</c>.</summary>
public sealed class ManifestSet
{
    private ManifestSet(IReadOnlyList<Manifest> manifests) => Manifests = manifests;

    public IReadOnlyList<Manifest> Manifests { get; }

    /// <summary>kubectl (which embeds kustomize), when installed.</summary>
    public static string? Kubectl { get; } = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);

    public IEnumerable<Manifest> Workloads => Manifests.Where(m => m.IsWorkload);

    public IEnumerable<Manifest> OfKind(string kind) => Manifests.Where(m => m.Kind == kind);

    public Manifest Get(string kind, string name) => Manifests.Single(m => m.Kind == kind && m.Name == name);

    /// <summary>Every object of the files a kustomization lists under resources (recursing into directories).</summary>
    public static ManifestSet LoadResources(string kustomizationDirectory)
    {
        var manifests = new List<Manifest>();
        Collect(kustomizationDirectory, manifests);
        return new ManifestSet(manifests);
    }

    /// <summary>Renders a kustomization with kubectl when it is installed; null when it is not.</summary>
    public static ManifestSet? Render(string kustomizationDirectory)
    {
        if (Kubectl is not { } kubectl)
        {
            return null;
        }
        var start = new ProcessStartInfo(kubectl, ["kustomize", kustomizationDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {kustomizationDirectory} failed: {stderr}");
        }
        string file = Path.Combine(Path.GetTempPath(), $"llmserve-kustomize-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, stdout.Result);
        try
        {
            return new ManifestSet([.. YamlTree.LoadDocuments(file).Select(d => new Manifest(kustomizationDirectory, d))]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Collect(string directory, List<Manifest> into)
    {
        var kustomization = YamlTree.Load(Path.Combine(directory, "kustomization.yaml"));
        foreach (string resource in kustomization.List("resources").OfType<string>())
        {
            string path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path))
            {
                Collect(path, into);
            }
            else
            {
                into.AddRange(YamlTree.LoadDocuments(path).Select(d => new Manifest(path, d)));
            }
        }
    }
}
