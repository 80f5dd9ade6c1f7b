using System.Globalization;
using System.Text.Json;
using LlmServe.ChatTemplates;
using LlmServe.Contracts;
using Template = LlmServe.ChatTemplates;

namespace LlmServe.Tokenizer;

/// <summary>Turns a request's input (chat messages, prompt text or token ids) into prompt token ids and checks limits.</summary>
internal sealed class PromptEncoder(ModelTokenizer model)
{
    public ModelTokenizer Model { get; } = model;

    /// <summary>Prompt token ids for the request; throws <see cref="PromptRejectedException"/> for bad input.</summary>
    public int[] Encode(TokenizeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.InputCase)
        {
            case TokenizeRequest.InputOneofCase.Chat:
                string text = RenderChat(request.Chat, request.AddGenerationPrompt);
                // Chat templates write their own BOS; adding special tokens again would double it (vLLM does the same).
                return Model.Tokenizer.Encode(text, request.AddSpecialTokens);
            case TokenizeRequest.InputOneofCase.Prompt:
                return Model.Tokenizer.Encode(request.Prompt, request.AddSpecialTokens);
            case TokenizeRequest.InputOneofCase.PromptTokenIds:
                var ids = request.PromptTokenIds.Ids.ToArray();
                int vocab = Model.Tokenizer.VocabSize;
                foreach (int id in ids)
                {
                    if (id < 0 || id >= vocab)
                    {
                        throw new PromptRejectedException(ErrorCode.InvalidRequest,
                            $"Token id {id} is out of vocabulary (size {vocab}).", "prompt");
                    }
                }
                return ids;
            default:
                throw new PromptRejectedException(ErrorCode.InvalidRequest, "The request has no messages or prompt.", "messages");
        }
    }

    /// <summary>
    /// Checks prompt + completion against the context and returns the effective max_tokens (the rest of the
    /// context when the client gave none).
    /// </summary>
    public int CheckLength(int promptTokens, int requestedMaxTokens)
    {
        int limit = Model.MaxModelLen;
        if (promptTokens == 0)
        {
            throw new PromptRejectedException(ErrorCode.InvalidRequest, "The prompt is empty.", "prompt");
        }
        if (requestedMaxTokens <= 0)
        {
            if (promptTokens >= limit)
            {
                throw new PromptRejectedException(ErrorCode.ContextLengthExceeded, string.Create(CultureInfo.InvariantCulture,
                    $"This model's maximum context length is {limit} tokens. However, your prompt has {promptTokens} tokens, leaving no room for the completion. Please reduce the length of the prompt."),
                    "messages");
            }
            return limit - promptTokens;
        }
        if ((long)promptTokens + requestedMaxTokens > limit)
        {
            throw new PromptRejectedException(ErrorCode.ContextLengthExceeded, string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {limit} tokens. However, you requested {(long)promptTokens + requestedMaxTokens} tokens ({promptTokens} in the messages, {requestedMaxTokens} in the completion). Please reduce the length of the messages or completion."),
                "max_tokens");
        }
        return requestedMaxTokens;
    }

    private string RenderChat(ChatInput chat, bool addGenerationPrompt)
    {
        var template = Model.ChatTemplate ?? throw new PromptRejectedException(ErrorCode.InvalidRequest,
            "This model has no chat template; use /v1/completions with a prompt instead.", "messages");
        if (chat.Messages.Count == 0)
        {
            throw new PromptRejectedException(ErrorCode.InvalidRequest, "'messages' must contain at least one message.", "messages");
        }
        var messages = new List<Template.ChatMessage>(chat.Messages.Count);
        foreach (var m in chat.Messages)
        {
            messages.Add(new Template.ChatMessage
            {
                Role = m.Role,
                Content = m.Content,
                Name = string.IsNullOrEmpty(m.Name) ? null : m.Name,
                ToolCalls = ParseJson(m.ToolCallsJson, "tool_calls"),
                ToolCallId = string.IsNullOrEmpty(m.ToolCallId) ? null : m.ToolCallId,
                ReasoningContent = string.IsNullOrEmpty(m.ReasoningContent) ? null : m.ReasoningContent,
            });
        }
        var input = new ChatTemplateInput
        {
            Messages = messages,
            Tools = ParseJson(chat.ToolsJson, "tools"),
            AddGenerationPrompt = addGenerationPrompt && !chat.ContinueFinalMessage,
            BosToken = Model.BosToken,
            EosToken = Model.EosToken,
            Extra = ParseKwargs(chat.ChatTemplateKwargsJson),
        };
        try
        {
            return template.Render(input);
        }
        catch (TemplateException e)
        {
            throw new PromptRejectedException(ErrorCode.TemplateError, e.Message, "messages");
        }
    }

    private static object? ParseJson(string json, string param)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PromptRejectedException(ErrorCode.InvalidRequest, $"'{param}' is not valid JSON: {e.Message}", param);
        }
    }

    private static Dictionary<string, object?>? ParseKwargs(string json)
    {
        if (ParseJson(json, "chat_template_kwargs") is not JsonElement element)
        {
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new PromptRejectedException(ErrorCode.InvalidRequest, "'chat_template_kwargs' must be an object.", "chat_template_kwargs");
        }
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }
        return result;
    }
}
