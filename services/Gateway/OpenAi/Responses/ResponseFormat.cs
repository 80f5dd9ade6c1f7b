using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.OpenAi.Requests;
using LlmServe.Gateway.OpenAi.Timing;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>
/// How one OpenAI endpoint shapes its answer: streamed chunks per choice delta, the usage chunk, and the
/// whole non-streaming response. Chat and completions differ only here.
/// </summary>
internal abstract class ResponseFormat(GenerationRequest request, string id, long created)
{
    protected GenerationRequest Request { get; } = request;

    protected abstract ReadOnlySpan<byte> ChunkObject { get; }

    protected abstract ReadOnlySpan<byte> ResponseObject { get; }

    /// <summary>Writes the SSE events for one choice's part of a bus chunk.</summary>
    public abstract void WriteStreamChoice(SseWriter sse, int index, ChoiceText choice, ChoiceState state);

    /// <summary>Writes one choice of a non-streaming response.</summary>
    protected abstract void WriteChoice(Utf8JsonWriter w, int index, ChoiceState state);

    public static ResponseFormat For(GenerationRequest request, string id, long created) =>
        request.Kind == ApiKind.ChatCompletions
            ? new ChatResponseFormat(request, id, created)
            : new CompletionResponseFormat(request, id, created);

    /// <summary>
    /// The final chunk of a stream (<c>choices: []</c>): usage when stream_options.include_usage, and the
    /// <c>llmserve_timing</c> extension object when the client asked for timing.
    /// </summary>
    public void WriteFinalChunk(SseWriter sse, UsageTotals? usage, HopBreakdown? timing)
    {
        ArgumentNullException.ThrowIfNull(sse);
        var w = sse.BeginEvent();
        WriteHeader(w, ChunkObject);
        w.WriteStartArray("choices"u8);
        w.WriteEndArray();
        usage?.Write(w);
        if (timing is not null)
        {
            HopTimingJson.Write(w, timing);
        }
        w.WriteEndObject();
        sse.EndEvent();
    }

    public void WriteResponse(Utf8JsonWriter w, IReadOnlyList<ChoiceState> choices, UsageTotals usage, HopBreakdown? timing = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(usage);
        WriteHeader(w, ResponseObject);
        w.WriteStartArray("choices"u8);
        for (int i = 0; i < choices.Count; i++)
        {
            w.WriteStartObject();
            w.WriteNumber("index"u8, i);
            WriteChoice(w, i, choices[i]);
            WriteFinish(w, choices[i].FinishReason, choices[i].Stop);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        usage.Write(w);
        if (timing is not null)
        {
            HopTimingJson.Write(w, timing);
        }
        w.WriteEndObject();
    }

    /// <summary>Opens a chunk event holding one choice; the caller writes the choice's fields and calls <see cref="EndChunk"/>.</summary>
    protected Utf8JsonWriter BeginChunk(SseWriter sse, int index)
    {
        ArgumentNullException.ThrowIfNull(sse);
        var w = sse.BeginEvent();
        WriteHeader(w, ChunkObject);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, index);
        return w;
    }

    protected void EndChunk(SseWriter sse, Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(sse);
        ArgumentNullException.ThrowIfNull(w);
        w.WriteEndObject();
        w.WriteEndArray();
        if (Request.IncludeUsage)
        {
            // OpenAI sends usage: null on every chunk but the usage chunk when include_usage is on.
            w.WriteNull("usage"u8);
        }
        w.WriteEndObject();
        sse.EndEvent();
    }

    protected static void WriteFinish(Utf8JsonWriter w, FinishReason reason, string? stop)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (FinishReasons.ToOpenAi(reason) is { } text)
        {
            w.WriteString("finish_reason"u8, text);
        }
        else
        {
            w.WriteNull("finish_reason"u8);
        }
        if (string.IsNullOrEmpty(stop))
        {
            w.WriteNull("stop_reason"u8);
        }
        else
        {
            w.WriteString("stop_reason"u8, stop);
        }
    }

    private void WriteHeader(Utf8JsonWriter w, ReadOnlySpan<byte> objectName)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id);
        w.WriteString("object"u8, objectName);
        w.WriteNumber("created"u8, created);
        w.WriteString("model"u8, Request.Model);
        w.WriteNull("system_fingerprint"u8);
    }
}
