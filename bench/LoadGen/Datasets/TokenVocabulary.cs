using System.Text.Json;

namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// The ordinary (non-added, non-special) token ids of a Hugging Face tokenizer.json: random prompts draw from
/// these so that no id is out of vocabulary and none is a control token such as BOS or EOS.
/// </summary>
public sealed class TokenVocabulary
{
    private readonly int[] _ids;

    public TokenVocabulary(IEnumerable<int> ids)
    {
        _ids = [.. ids.Distinct().Order()];
        if (_ids.Length == 0)
        {
            throw new ArgumentException("The vocabulary is empty.", nameof(ids));
        }
    }

    public int Count => _ids.Length;

    public int this[int index] => _ids[index];

    /// <summary>Reads tokenizer.json (a file, or a model directory holding one).</summary>
    public static TokenVocabulary Load(string path)
    {
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "tokenizer.json");
        }
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var added = new HashSet<int>();
        if (doc.RootElement.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in addedTokens.EnumerateArray())
            {
                added.Add(token.GetProperty("id").GetInt32());
            }
        }
        var vocab = doc.RootElement.GetProperty("model").GetProperty("vocab");
        var ids = new List<int>();
        if (vocab.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in vocab.EnumerateObject())
            {
                int id = entry.Value.GetInt32();
                if (!added.Contains(id) && !IsControl(entry.Name))
                {
                    ids.Add(id);
                }
            }
        }
        else
        {
            // Unigram vocabularies are [piece, score] pairs indexed by position.
            int id = 0;
            foreach (var entry in vocab.EnumerateArray())
            {
                if (!added.Contains(id) && !IsControl(entry[0].GetString() ?? ""))
                {
                    ids.Add(id);
                }
                id++;
            }
        }
        return new TokenVocabulary(ids);
    }

    private static bool IsControl(string piece) =>
        piece.Length > 2 && piece[0] == '<' && piece[^1] == '>' && (piece.StartsWith("<|", StringComparison.Ordinal) || piece is "<s>" or "</s>" or "<unk>" or "<pad>");

    /// <summary>A uniformly drawn ordinary token id.</summary>
    public int Draw(Random random) => _ids[random.Next(_ids.Length)];
}
