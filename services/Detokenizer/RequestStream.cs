using LlmServe.Contracts;
using LlmServe.Tokenization;

namespace LlmServe.Detokenizer;

/// <summary>The detokenizer's state for one request: its choices and where its text goes.</summary>
internal sealed class RequestStream
{
    public RequestStream(RequestContext context, DetokenizeStart start, HfTokenizer tokenizer, long nowMs)
    {
        Context = context;
        ReplySubject = start.ReplySubject;
        PromptTokens = start.PromptTokens;
        CachedPromptTokens = start.CachedPromptTokens;
        Logprobs = start.Logprobs;
        var parameters = start.Params ?? new DetokenizeParams { SkipSpecialTokens = true };
        Choices = new ChoiceStream[Math.Max(1, start.N)];
        for (int i = 0; i < Choices.Length; i++)
        {
            Choices[i] = new ChoiceStream(tokenizer, parameters);
        }
        if (start.EchoPromptTokenIds.Count > 0)
        {
            EchoText = tokenizer.Decode(start.EchoPromptTokenIds.ToArray(), parameters.SkipSpecialTokens);
        }
        LastActivityMs = nowMs;
    }

    public RequestContext Context { get; }

    public string ReplySubject { get; }

    public int PromptTokens { get; }

    public int CachedPromptTokens { get; }

    public bool Logprobs { get; }

    public ChoiceStream[] Choices { get; }

    /// <summary>The prompt's text, sent before each choice's first delta when the client asked for echo.</summary>
    public string? EchoText { get; }

    public bool[] EchoSent => _echoSent ??= new bool[Choices.Length];

    private bool[]? _echoSent;

    public long LastActivityMs { get; set; }

    public ulong NextSequence { get; set; }

    public bool AllFinished => Choices.All(c => c.Finished);

    public Usage Usage() => new()
    {
        PromptTokens = PromptTokens,
        CompletionTokens = Choices.Sum(c => c.CompletionTokens),
        CachedPromptTokens = CachedPromptTokens,
    };
}
