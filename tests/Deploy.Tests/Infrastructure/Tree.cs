namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>Typed lookups into the plain trees <see cref="YamlTree"/> produces.</summary>
public static class Tree
{
    public static Dictionary<string, object?>? Map(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var value) ? value as Dictionary<string, object?> : null;

    public static List<object?> List(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var value) && value is List<object?> list ? list : [];

    public static IEnumerable<Dictionary<string, object?>> Maps(this Dictionary<string, object?>? node, string key) =>
        node.List(key).OfType<Dictionary<string, object?>>();

    public static string? Str(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>Follows a path of keys through nested mappings.</summary>
    public static Dictionary<string, object?>? Path(this Dictionary<string, object?>? node, params string[] keys)
    {
        foreach (string key in keys)
        {
            node = node.Map(key);
        }
        return node;
    }

    /// <summary>A string-to-string view of a mapping (labels, matchLabels, compose environment maps).</summary>
    public static Dictionary<string, string> Strings(this Dictionary<string, object?>? node) =>
        node is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : node.Where(p => p.Value is string).ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);

    /// <summary>True when every pair of <paramref name="selector"/> is among <paramref name="labels"/> (an empty selector matches all).</summary>
    public static bool Selects(this IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.All(p => labels.TryGetValue(p.Key, out var v) && v == p.Value);
}
