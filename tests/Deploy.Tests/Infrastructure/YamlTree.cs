using YamlDotNet.RepresentationModel;

namespace LlmServe.Deploy.Tests.Infrastructure;

/// <summary>
/// Loads YAML into plain trees (dictionaries, lists, strings) with anchors resolved and merge keys
/// (<c>&lt;&lt;</c>) applied, keeping custom tags such as compose's <c>!reset</c> readable.
/// </summary>
public static class YamlTree
{
    /// <summary>Every document of a (possibly multi-document) file; empty documents are skipped.</summary>
    public static IReadOnlyList<Dictionary<string, object?>> LoadDocuments(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }
        var documents = new List<Dictionary<string, object?>>();
        foreach (var document in stream.Documents)
        {
            if (Convert(document.RootNode) is Dictionary<string, object?> map)
            {
                documents.Add(map);
            }
        }
        return documents;
    }

    /// <summary>A single-document file's root mapping.</summary>
    public static Dictionary<string, object?> Load(string path) =>
        LoadDocuments(path) is [var only] ? only : throw new InvalidDataException($"{path}: expected one YAML document.");

    /// <summary>The tag written on a node at <paramref name="keys"/> (e.g. <c>!reset</c>), read from the raw file.</summary>
    public static string? TagAt(string path, params string[] keys)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }
        YamlNode node = stream.Documents[0].RootNode;
        foreach (string key in keys)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }
            node = child;
        }
        return node.Tag.IsEmpty ? null : node.Tag.Value;
    }

    private static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
        YamlMappingNode mapping => ConvertMapping(mapping),
        _ => null,
    };

    private static Dictionary<string, object?> ConvertMapping(YamlMappingNode mapping)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        // Merged keys first, so the mapping's own keys win (YAML merge-key semantics).
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: "<<" })
            {
                IEnumerable<YamlNode> sources = value is YamlSequenceNode many ? many.Children : [value];
                foreach (var source in sources)
                {
                    if (Convert(source) is Dictionary<string, object?> merged)
                    {
                        foreach (var (k, v) in merged)
                        {
                            result[k] = v;
                        }
                    }
                }
            }
        }
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: { } name } && name != "<<")
            {
                result[name] = Convert(value);
            }
        }
        return result;
    }
}
