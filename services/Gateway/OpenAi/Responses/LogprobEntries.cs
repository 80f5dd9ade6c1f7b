using System.Globalization;
using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>
/// Logprob entries (decoded token + logprobs) read either straight from a streamed <see cref="ChoiceText"/>
/// (no copy per token) or from what a non-streaming response accumulated.
/// </summary>
internal readonly struct LogprobEntries
{
    private readonly ChoiceText? _choice;
    private readonly List<(string Token, TokenLogprob Logprob)>? _list;

    public LogprobEntries(ChoiceText choice) => _choice = choice;

    public LogprobEntries(List<(string Token, TokenLogprob Logprob)> list) => _list = list;

    public int Count => _choice?.Logprobs.Count ?? _list?.Count ?? 0;

    public (string Token, TokenLogprob Logprob) this[int index] =>
        _choice is not null ? (TokenText(_choice, index), _choice.Logprobs[index]) : _list![index];

    /// <summary>The decoded text of a sampled token; <c>token_id:N</c> when the detokenizer sent none.</summary>
    public static string TokenText(ChoiceText choice, int i) =>
        i < choice.LogprobTokens.Count ? choice.LogprobTokens[i]
        : choice.Logprobs[i].Token.Length > 0 ? choice.Logprobs[i].Token : IdText(choice.Logprobs[i].TokenId);

    /// <summary>An alternative's decoded text (the detokenizer fills it), else its <c>token_id:N</c> name.</summary>
    public static string AlternativeText(TopLogprob alternative) =>
        alternative.Token.Length > 0 ? alternative.Token : IdText(alternative.TokenId);

    /// <summary>vLLM's name for a token whose text is unknown (return_tokens_as_token_ids).</summary>
    public static string IdText(int tokenId) => "token_id:" + tokenId.ToString(CultureInfo.InvariantCulture);
}
