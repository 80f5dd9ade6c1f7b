using System.Text.RegularExpressions;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>A docker compose file: its services and the <c>${VAR}</c> references it makes.</summary>
public sealed partial class ComposeFile
{
    private ComposeFile(string path, Dictionary<string, object?> root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public Dictionary<string, object?> Root { get; }

    public IReadOnlyDictionary<string, Dictionary<string, object?>> Services =>
        Root.Map("services")!.ToDictionary(p => p.Key, p => (Dictionary<string, object?>)p.Value!, StringComparer.Ordinal);

    public static ComposeFile Load(string path) => new(path, YamlTree.Load(path));

    /// <summary>Variables referenced as <c>${NAME}</c>, <c>${NAME:-default}</c> or <c>${NAME:?error}</c>, with whether a default is given.</summary>
    public IEnumerable<(string Name, bool HasDefault)> VariableReferences() =>
        VariableRegex().Matches(File.ReadAllText(Path))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.StartsWith(":-", StringComparison.Ordinal) || m.Groups[2].Value.StartsWith('-')));

    /// <summary>The environment of a service as a map (compose allows a map or a list of NAME=value).</summary>
    public static Dictionary<string, string> Environment(Dictionary<string, object?> service)
    {
        if (service.Map("environment") is { } map)
        {
            return map.ToDictionary(p => p.Key, p => p.Value as string ?? string.Empty, StringComparer.Ordinal);
        }
        return service.List("environment").OfType<string>()
            .Select(e => e.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.Ordinal);
    }

    /// <summary>Which of our services a compose service runs, from its build's Dockerfile or its image name.</summary>
    public static string? ServiceKind(Dictionary<string, object?> service)
    {
        string? dockerfile = service.Map("build").Str("dockerfile");
        if (dockerfile is not null)
        {
            return dockerfile.Split('/')[1];
        }
        string? image = service.Str("image");
        return RepoFiles.Services.FirstOrDefault(s => image is not null && image.Contains("/" + s.ToLowerInvariant() + ":", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*)((?::?[-?])[^}]*)?\}")]
    private static partial Regex VariableRegex();
}
