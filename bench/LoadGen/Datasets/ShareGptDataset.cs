using System.Text.Json;
using LlmServe.LoadGen.Http;

namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// A ShareGPT-format file (<c>[{"conversations":[{"from":"human","value":…},{"from":"gpt","value":…}]}]</c>):
/// the first human turn is the prompt, the first gpt turn's token count is max_tokens. Conversations are shuffled
/// with the seed and filtered like vLLM's. Lengths come from the server's /tokenize, else from 4 characters
/// per token (said in the result as an estimate).
/// </summary>
public static class ShareGptDataset
{
    public static async Task<List<BenchRequest>> LoadAsync(string path, ServerTokenizer? tokenizer, int count, int seed,
        int? fixedOutputLength, CancellationToken cancellationToken)
    {
        var pairs = ReadPairs(path);
        var random = new Random(seed);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pairs));
        var list = new List<BenchRequest>(count);
        foreach (var (prompt, answer) in pairs)
        {
            if (list.Count == count)
            {
                break;
            }
            int input = await CountAsync(tokenizer, prompt, cancellationToken).ConfigureAwait(false);
            int output = fixedOutputLength ?? await CountAsync(tokenizer, answer, cancellationToken).ConfigureAwait(false);
            if (fixedOutputLength is null && !ShareGptFilter.Keeps(input, output))
            {
                continue;
            }
            list.Add(new BenchRequest(null, prompt, input, output));
        }
        if (list.Count < count)
        {
            throw new InvalidDataException($"{path} has only {list.Count} usable conversations; {count} were asked for.");
        }
        return list;
    }

    /// <summary>(first human turn, first gpt turn after it) of every conversation that has both.</summary>
    public static List<(string Prompt, string Answer)> ReadPairs(string path)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var pairs = new List<(string, string)>();
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            if (!entry.TryGetProperty("conversations", out var turns) || turns.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            string? prompt = null;
            foreach (var turn in turns.EnumerateArray())
            {
                string from = turn.TryGetProperty("from", out var f) ? f.GetString() ?? "" : "";
                string value = turn.TryGetProperty("value", out var v) ? v.GetString() ?? "" : "";
                if (prompt is null && from is "human" or "user")
                {
                    prompt = value;
                }
                else if (prompt is not null && from is "gpt" or "assistant" or "chatgpt")
                {
                    pairs.Add((prompt, value));
                    break;
                }
            }
        }
        return pairs;
    }

    private static async Task<int> CountAsync(ServerTokenizer? tokenizer, string text, CancellationToken cancellationToken) =>
        tokenizer is null ? Math.Max(1, (text.Length + 3) / 4) : (await tokenizer.TokenizeAsync(text, cancellationToken).ConfigureAwait(false)).Length;
}
