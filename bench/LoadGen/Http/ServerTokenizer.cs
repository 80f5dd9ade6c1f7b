using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmServe.LoadGen.Http;

/// <summary>
/// The server's own tokenizer through vLLM's <c>POST /tokenize</c> and <c>POST /detokenize</c> (our gateway serves
/// both). Used to size text prompts exactly; servers without these endpoints fall back to estimates.
/// </summary>
public sealed class ServerTokenizer(TargetServer server)
{
    /// <summary>True when /tokenize answers for the model.</summary>
    public async Task<bool> IsAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await TokenizeAsync("hello", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Token ids of <paramref name="text"/> without special tokens (no BOS).</summary>
    public async Task<int[]> TokenizeAsync(string text, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["model"] = server.Model, ["prompt"] = text, ["add_special_tokens"] = false };
        using var response = await server.Http.PostAsJsonAsync(server.Resolve("/tokenize"), body, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var tokens = node?["tokens"]?.AsArray() ?? throw new JsonException("/tokenize answered without 'tokens'.");
        return [.. tokens.Select(t => t!.GetValue<int>())];
    }

    /// <summary>
    /// Tokens the server adds around a prompt of ordinary text: BOS for completions (add_special_tokens is on by
    /// default), the chat template's header and generation prompt for chat. Measured once as the difference between
    /// the server's count of a wrapped prompt and of the bare text.
    /// </summary>
    public async Task<int> PromptOverheadAsync(bool chat, CancellationToken cancellationToken)
    {
        const string Probe = "hello world";
        int bare = (await TokenizeAsync(Probe, cancellationToken).ConfigureAwait(false)).Length;
        var body = chat
            ? new JsonObject
            {
                ["model"] = server.Model,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Probe }),
                ["add_generation_prompt"] = true,
            }
            : new JsonObject { ["model"] = server.Model, ["prompt"] = Probe };
        using var response = await server.Http.PostAsJsonAsync(server.Resolve("/tokenize"), body, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        int wrapped = node?["count"]?.GetValue<int>() ?? node?["tokens"]?.AsArray().Count ?? throw new JsonException("/tokenize answered without 'count'.");
        return Math.Max(0, wrapped - bare);
    }

    public async Task<string> DetokenizeAsync(IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["model"] = server.Model, ["tokens"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]) };
        using var response = await server.Http.PostAsJsonAsync(server.Resolve("/detokenize"), body, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return node?["prompt"]?.GetValue<string>() ?? throw new JsonException("/detokenize answered without 'prompt'.");
    }
}
