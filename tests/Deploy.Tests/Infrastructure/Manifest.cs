namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>One Kubernetes object from a manifest file.</summary>
public sealed record Manifest(string File, Dictionary<string, object?> Body)
{
    public string Kind => Body.Str("kind") ?? string.Empty;

    public string Name => Body.Map("metadata").Str("name") ?? string.Empty;

    public override string ToString() => $"{Kind}/{Name} ({System.IO.Path.GetFileName(File)})";

    /// <summary>Deployments and StatefulSets: the objects that own pod templates.</summary>
    public bool IsWorkload => Kind is "Deployment" or "StatefulSet";

    public Dictionary<string, object?>? PodTemplate => Body.Path("spec", "template");

    public Dictionary<string, object?>? PodSpec => Body.Path("spec", "template", "spec");

    public Dictionary<string, string> TemplateLabels => PodTemplate.Path("metadata", "labels").Strings();

    public IEnumerable<Dictionary<string, object?>> Containers => PodSpec.Maps("containers");
}
