using System.IO.Compression;
using System.Text.Json;

namespace LlmServe.Tokenization.Tests.Golden;

/// <summary>
/// The fixtures make_golden.js wrote with Hugging Face tokenizers 0.23.2: the shared corpus and, per family,
/// [ids with special tokens, ids without, decode(ids without), decode(ids with, skip special)] per string,
/// plus random id sequences with their decodes.
/// </summary>
internal sealed class GoldenFixture
{
    private static readonly Lazy<string[]> SharedCorpus = new(LoadCorpus);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<GoldenFixture>> ByFamily = new();

    public required string Family { get; init; }

    public required int VocabSize { get; init; }

    public required IReadOnlyList<string> Corpus { get; init; }

    public required IReadOnlyList<GoldenEncoding> Encodings { get; init; }

    public required IReadOnlyList<(int[] Ids, string Decoded, string DecodedSkipSpecial)> RandomDecodes { get; init; }

    public static GoldenFixture Load(string family) => ByFamily.GetOrAdd(family, f => new Lazy<GoldenFixture>(() => ReadFamily(f))).Value;

    private static GoldenFixture ReadFamily(string family)
    {
        using JsonDocument doc = Read($"{family}.json.gz");
        JsonElement root = doc.RootElement;
        var encodings = new List<GoldenEncoding>();
        foreach (JsonElement e in root.GetProperty("encodings").EnumerateArray())
        {
            encodings.Add(new GoldenEncoding(Ids(e[0]), Ids(e[1]), e[2].GetString()!, e[3].GetString()!));
        }

        var randoms = new List<(int[], string, string)>();
        foreach (JsonElement r in root.GetProperty("randomDecodes").EnumerateArray())
        {
            randoms.Add((Ids(r[0]), r[1].GetString()!, r[2].GetString()!));
        }

        return new GoldenFixture
        {
            Family = family,
            VocabSize = root.GetProperty("vocabSize").GetInt32(),
            Corpus = SharedCorpus.Value,
            Encodings = encodings,
            RandomDecodes = randoms,
        };
    }

    public static IReadOnlyList<string> LoadCorpusStrings() => SharedCorpus.Value;

    private static string[] LoadCorpus()
    {
        using JsonDocument doc = Read("corpus.json.gz");
        return [.. doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : new string([.. e.GetProperty("u16").EnumerateArray().Select(u => (char)u.GetInt32())]))];
    }

    private static int[] Ids(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    private static JsonDocument Read(string name)
    {
        using FileStream file = File.OpenRead(TokenizerFiles.FixturePath(name));
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        return JsonDocument.Parse(gz);
    }
}
