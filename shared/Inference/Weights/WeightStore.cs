using System.Text.Json;
using LlmServe.Inference.Models;

namespace LlmServe.Inference.Weights;

/// <summary>
/// All tensors of a model directory by name: a single model.safetensors, shards listed in
/// model.safetensors.index.json (weight_map), or every *.safetensors file. Keeps the files mapped until disposed.
/// </summary>
public sealed class WeightStore : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafeTensorsFile> _files = [];
    private readonly Dictionary<string, TensorView> _tensors = new(StringComparer.Ordinal);

    private WeightStore()
    {
    }

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public IReadOnlyList<string> Files => _files.Select(f => f.Path).ToArray();

    public static WeightStore Open(string modelDirectory)
    {
        var store = new WeightStore();
        try
        {
            foreach (var path in ShardPaths(modelDirectory))
            {
                var file = SafeTensorsFile.Open(path);
                store._files.Add(file);
                foreach (var (name, view) in file.Tensors)
                {
                    if (!store._tensors.TryAdd(name, view))
                    {
                        throw new ModelLoadException($"tensor '{name}' appears in more than one safetensors file");
                    }
                }
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public bool TryGet(string name, out TensorView view) => _tensors.TryGetValue(name, out view);

    /// <summary>The tensor <paramref name="name"/> with exactly <paramref name="shape"/>; a clear error otherwise.</summary>
    public TensorView Get(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!_tensors.TryGetValue(name, out var view))
        {
            throw new ModelLoadException($"missing tensor '{name}' (expected shape [{string.Join(',', shape)}])");
        }

        if (!view.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException($"tensor '{name}' has shape [{string.Join(',', view.Shape)}], expected [{string.Join(',', shape)}]");
        }

        return view;
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }

        _files.Clear();
        _tensors.Clear();
    }

    private static IEnumerable<string> ShardPaths(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelLoadException($"model directory not found: {directory}");
        }

        var index = Path.Combine(directory, IndexFileName);
        if (File.Exists(index))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!json.RootElement.TryGetProperty("weight_map", out var map))
            {
                throw new ModelLoadException($"{index}: no weight_map");
            }

            return map.EnumerateObject().Select(p => p.Value.GetString()!).Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal).Select(f => Path.Combine(directory, f)).ToArray();
        }

        var single = Path.Combine(directory, SingleFileName);
        if (File.Exists(single))
        {
            return [single];
        }

        var all = Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return all.Length > 0 ? all : throw new ModelLoadException($"no .safetensors files in {directory}");
    }
}
