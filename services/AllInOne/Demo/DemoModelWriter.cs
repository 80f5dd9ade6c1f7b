using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmServe.Inference.Models;

namespace LlmServe.AllInOne.Demo;

/// <summary>
/// Writes the built-in demo model: a tiny random-weight Llama with a real byte-level BPE tokenizer (merges
/// learned here from a few paragraphs of English) and a Llama-3-style chat template. It proves the whole
/// pipeline end to end with no download; its answers are gibberish by design.
/// </summary>
public static class DemoModelWriter
{
    public const string ServedName = "demo";

    public const string BosToken = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const string StartHeader = "<|start_header_id|>";
    public const string EndHeader = "<|end_header_id|>";
    public const string EndOfTurn = "<|eot_id|>";

    private const int MergeCount = 160;

    private const string ChatTemplate =
        "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

    private const string Corpus =
        "The quick brown fox jumps over the lazy dog. A language model predicts the next token from the tokens before it. " +
        "This server batches many requests together at every step, so the model reads its weights once for all of them. " +
        "The scheduler decides which sequences run, the workers compute, and the detokenizer turns tokens back into text. " +
        "Hello, world! How are you today? I am a tiny demo model with random weights, and I do not know anything at all. " +
        "Questions and answers, stories and code: there is nothing in here but noise that looks like words in the right order.";

    /// <summary>Writes config.json, generation_config.json, model.safetensors, tokenizer.json and tokenizer_config.json.</summary>
    public static void Write(string directory, ulong seed = 7)
    {
        Directory.CreateDirectory(directory);
        var (vocab, merges) = LearnVocabulary();
        string[] specials = [BosToken, EndOfText, StartHeader, EndHeader, EndOfTurn];
        int firstSpecial = vocab.Count;
        int vocabSize = (firstSpecial + specials.Length + 63) / 64 * 64;

        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), TokenizerJson(vocab, merges, specials, firstSpecial));
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), TokenizerConfigJson());
        RandomCheckpointWriter.Write(directory, new TinyModelSpec
        {
            Architecture = ModelArchitecture.Llama,
            Seed = seed,
            VocabSize = vocabSize,
            HiddenSize = 128,
            IntermediateSize = 256,
            NumLayers = 2,
            NumHeads = 4,
            NumKvHeads = 2,
            MaxPositionEmbeddings = 4096,
            BosTokenId = firstSpecial,
            EosTokenIds = [firstSpecial + 4, firstSpecial + 1],
        });
    }

    /// <summary>Byte-level symbols for each byte, as GPT-2's byte-level BPE defines them.</summary>
    internal static string[] ByteSymbols()
    {
        var symbols = new string[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = printable ? ((char)b).ToString() : ((char)(256 + extra++)).ToString();
        }
        return symbols;
    }

    private static (List<string> Vocab, List<(string Left, string Right)> Merges) LearnVocabulary()
    {
        string[] byteSymbols = ByteSymbols();
        var vocab = new List<string>(byteSymbols);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string word in SplitWords(Corpus))
        {
            string symbols = string.Concat(Encoding.UTF8.GetBytes(word).Select(b => byteSymbols[b]));
            words[symbols] = words.GetValueOrDefault(symbols) + 1;
        }
        var segmented = words.ToDictionary(w => w.Key, w => w.Key.Select(c => c.ToString()).ToList(), StringComparer.Ordinal);
        var merges = new List<(string, string)>();
        for (int round = 0; round < MergeCount; round++)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (word, parts) in segmented)
            {
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    var pair = (parts[i], parts[i + 1]);
                    pairs[pair] = pairs.GetValueOrDefault(pair) + words[word];
                }
            }
            if (pairs.Count == 0)
            {
                break;
            }
            // Ties break by the pair's text so the vocabulary is the same on every machine.
            var best = pairs.OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            if (pairs[best] < 2)
            {
                break;
            }
            merges.Add(best);
            vocab.Add(best.Item1 + best.Item2);
            foreach (var parts in segmented.Values)
            {
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (parts[i] == best.Item1 && parts[i + 1] == best.Item2)
                    {
                        parts[i] = best.Item1 + best.Item2;
                        parts.RemoveAt(i + 1);
                    }
                }
            }
        }
        return (vocab, merges);
    }

    private static IEnumerable<string> SplitWords(string text)
    {
        var current = new StringBuilder();
        foreach (char c in text)
        {
            bool boundary = c == ' ' || char.IsPunctuation(c);
            if (boundary && current.Length > 0)
            {
                yield return current.ToString();
                current.Clear();
            }
            current.Append(c);
            if (char.IsPunctuation(c))
            {
                yield return current.ToString();
                current.Clear();
            }
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static string TokenizerJson(List<string> vocab, List<(string Left, string Right)> merges, string[] specials, int firstSpecial)
    {
        var vocabObject = new JsonObject();
        for (int i = 0; i < vocab.Count; i++)
        {
            vocabObject[vocab[i]] = i;
        }
        var added = new JsonArray();
        var specialTokens = new JsonObject();
        for (int i = 0; i < specials.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = firstSpecial + i,
                ["content"] = specials[i],
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        specialTokens[BosToken] = new JsonObject { ["id"] = BosToken, ["ids"] = new JsonArray(firstSpecial), ["tokens"] = new JsonArray(BosToken) };
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel.DeepClone(),
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = BosToken, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = BosToken, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = BosToken, ["type_id"] = 1 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = specialTokens,
            },
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocabObject,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create(m.Left + " " + m.Right))]),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static string TokenizerConfigJson() => new JsonObject
    {
        ["bos_token"] = BosToken,
        ["eos_token"] = EndOfTurn,
        ["add_bos_token"] = true,
        ["model_max_length"] = 4096,
        ["clean_up_tokenization_spaces"] = false,
        ["chat_template"] = ChatTemplate,
    }.ToJsonString();
}
