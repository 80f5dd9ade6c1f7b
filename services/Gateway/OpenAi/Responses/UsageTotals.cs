using System.Text.Json;
using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>Token usage summed over a request's prompts.</summary>
internal sealed class UsageTotals
{
    public int PromptTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    public int CachedTokens { get; private set; }

    public static UsageTotals Sum(IEnumerable<Usage?> usages)
    {
        ArgumentNullException.ThrowIfNull(usages);
        var totals = new UsageTotals();
        foreach (var usage in usages)
        {
            if (usage is not null)
            {
                totals.Add(usage);
            }
        }
        return totals;
    }

    public void Add(Usage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        PromptTokens += usage.PromptTokens;
        CompletionTokens += usage.CompletionTokens;
        CachedTokens += usage.CachedPromptTokens;
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("prompt_tokens"u8, PromptTokens);
        w.WriteNumber("completion_tokens"u8, CompletionTokens);
        w.WriteNumber("total_tokens"u8, PromptTokens + CompletionTokens);
        w.WriteStartObject("prompt_tokens_details"u8);
        w.WriteNumber("cached_tokens"u8, CachedTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
