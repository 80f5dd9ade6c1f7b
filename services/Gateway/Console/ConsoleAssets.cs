using System.Reflection;
using System.Security.Cryptography;

namespace LlmServe.Gateway.Console;

/// <summary>
/// The console's static files, embedded in the gateway assembly (logical names <c>console/…</c>, see
/// Gateway.csproj) so every publish — the gateway image, the all-in-one host — carries them with no copy step.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string Prefix = "console/";

    private readonly Dictionary<string, ConsoleAsset> _byName;

    private ConsoleAssets(Dictionary<string, ConsoleAsset> byName) => _byName = byName;

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public static ConsoleAssets Load(Assembly assembly)
    {
        var byName = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] content = buffer.ToArray();
            string name = resource[Prefix.Length..];
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            byName[name] = new ConsoleAsset(name, content, ContentTypeOf(name), etag);
        }
        return new ConsoleAssets(byName);
    }

    public ConsoleAsset? Find(string name) => _byName.GetValueOrDefault(name);

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
}
