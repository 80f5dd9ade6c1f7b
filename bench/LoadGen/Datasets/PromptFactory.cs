using LlmServe.LoadGen.Http;

namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// Makes a prompt of a requested token length. Ids come from the tokenizer's ordinary vocabulary (exact length).
/// Text starts as common words and is trimmed or grown with the server's /tokenize and /detokenize until it
/// re-tokenizes to the requested length; without those endpoints the word count is the (estimated) length.
/// </summary>
public sealed class PromptFactory
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
        "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "there",
        "one", "all", "we", "can", "her", "has", "been", "if", "more", "when", "will", "would", "who", "so", "no",
        "time", "model", "token", "server", "request", "batch", "memory", "river", "stone", "light", "green", "house",
    ];

    private const int MaxAdjustRounds = 12;

    private readonly PromptFormat _format;
    private readonly TokenVocabulary? _vocabulary;
    private readonly ServerTokenizer? _tokenizer;
    private readonly int _overhead;

    /// <param name="overhead">Tokens the server adds to a text prompt (BOS, chat template); text prompts are sized so that content + overhead is the requested length.</param>
    public PromptFactory(PromptFormat format, TokenVocabulary? vocabulary, ServerTokenizer? tokenizer, int overhead = 0)
    {
        _overhead = overhead;
        if (format == PromptFormat.Ids && vocabulary is null)
        {
            throw new ArgumentException("Token-id prompts need the tokenizer's vocabulary (--tokenizer PATH).", nameof(vocabulary));
        }
        _format = format;
        _vocabulary = vocabulary;
        _tokenizer = tokenizer;
    }

    public PromptFormat Format => _format;

    /// <summary>True when text prompt lengths are measured by the server rather than estimated.</summary>
    public bool MeasuresText => _tokenizer is not null;

    public async Task<BenchRequest> CreateAsync(int inputTokens, int outputTokens, Random random, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (_format == PromptFormat.Ids)
        {
            var ids = new int[inputTokens];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = _vocabulary!.Draw(random);
            }
            return new BenchRequest(ids, null, inputTokens, outputTokens);
        }
        var (text, measured) = await TextAsync(inputTokens, random, cancellationToken).ConfigureAwait(false);
        return new BenchRequest(null, text, measured, outputTokens);
    }

    private async Task<(string Text, int Tokens)> TextAsync(int requested, Random random, CancellationToken cancellationToken)
    {
        int target = Math.Max(1, requested - _overhead);
        var words = new List<string>(target);
        for (int i = 0; i < target; i++)
        {
            words.Add(Words[random.Next(Words.Length)]);
        }
        string text = string.Join(' ', words);
        if (_tokenizer is null)
        {
            return (text, requested);
        }
        int[] ids = await _tokenizer.TokenizeAsync(text, cancellationToken).ConfigureAwait(false);
        for (int round = 0; round < MaxAdjustRounds && ids.Length != target; round++)
        {
            if (ids.Length > target)
            {
                text = await _tokenizer.DetokenizeAsync(ids[..target], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Grow by roughly the missing count; the next round trims any overshoot.
                var extra = Enumerable.Range(0, target - ids.Length).Select(_ => Words[random.Next(Words.Length)]);
                text = text + " " + string.Join(' ', extra);
            }
            ids = await _tokenizer.TokenizeAsync(text, cancellationToken).ConfigureAwait(false);
        }
        return (text, ids.Length + _overhead);
    }
}
