using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Http;

/// <summary>
/// Sends one streaming completion or chat completion and times it: TTFT at the first chunk that carries text,
/// one inter-token latency per later text chunk, end-to-end latency at the end of the stream. Only standard
/// OpenAI fields are required of the server; vLLM's <c>ignore_eos</c>/<c>min_tokens</c> are sent only when asked for.
/// With <paramref name="hopTimings"/>, each request asks our gateway for its per-hop breakdown (<c>x-llmserve-timing: 1</c>).
/// </summary>
public sealed class StreamingRequestSender(TargetServer server, SamplingSettings sampling, bool hopTimings = false)
{
    /// <summary>The request header that asks our gateway for a per-hop timing breakdown.</summary>
    public const string HopTimingHeader = "x-llmserve-timing";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private const int MaxErrorText = 300;

    public async Task<RequestOutcome> SendAsync(BenchRequest request, long benchStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outcome = new RequestOutcome { InputTokens = request.InputTokens };
        outcome.SentUnixMicros = UnixMicrosNow();
        long sent = Stopwatch.GetTimestamp();
        outcome.SentAt = Stopwatch.GetElapsedTime(benchStart, sent).TotalSeconds;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, server.Resolve(server.Endpoint));
            message.Content = new ByteArrayContent(Body(request)) { Headers = { ContentType = Json } };
            if (hopTimings)
            {
                message.Headers.Add(HopTimingHeader, "1");
            }
            using var response = await server.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                outcome.Error = $"HTTP {(int)response.StatusCode}: {Shorten(text)}";
                return outcome;
            }
            using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await ReadStreamAsync(stream, sent, outcome, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            outcome.Error = $"{e.GetType().Name}: {Shorten(e.Message)}";
        }
        if (outcome.Error is not null)
        {
            outcome.Success = false;
        }
        return outcome;
    }

    /// <summary>Reads an OpenAI stream into <paramref name="outcome"/>; public so that tests can feed it recorded streams.</summary>
    public static async Task ReadStreamAsync(Stream stream, long sent, RequestOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        long lastText = 0;
        int textChunks = 0;
        bool sawChoice = false;
        bool sawUsage = false;
        await foreach (var e in SseEventReader.ReadAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            long now = Stopwatch.GetTimestamp();
            if (e.IsDone)
            {
                break;
            }
            using var doc = JsonDocument.Parse(e.Data);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                outcome.Error = "stream error: " + Shorten(error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.ToString());
                return;
            }
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                if (!sawChoice)
                {
                    sawChoice = true;
                    outcome.Ttft = Stopwatch.GetElapsedTime(sent, now).TotalSeconds;
                }
                if (HasText(choice))
                {
                    if (textChunks == 0)
                    {
                        outcome.Ttft = Stopwatch.GetElapsedTime(sent, now).TotalSeconds;
                        outcome.FirstTextUnixMicros = UnixMicrosNow();
                    }
                    else
                    {
                        outcome.Itl.Add(Stopwatch.GetElapsedTime(lastText, now).TotalSeconds);
                    }
                    lastText = now;
                    textChunks++;
                }
                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    outcome.FinishReason = finish.GetString();
                }
            }
            if (root.TryGetProperty("llmserve_timing", out var timing) && timing.ValueKind == JsonValueKind.Object)
            {
                outcome.HopTiming = Metrics.HopTimingSample.Parse(timing);
            }
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                sawUsage = true;
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number)
                {
                    outcome.InputTokens = p.GetInt32();
                }
                if (usage.TryGetProperty("completion_tokens", out var c) && c.ValueKind == JsonValueKind.Number)
                {
                    outcome.OutputTokens = c.GetInt32();
                    outcome.OutputFromUsage = true;
                }
            }
        }
        outcome.Latency = Stopwatch.GetElapsedTime(sent).TotalSeconds;
        if (!outcome.OutputFromUsage)
        {
            outcome.OutputTokens = textChunks;
        }
        if (!sawChoice && !sawUsage)
        {
            outcome.Error = "the stream ended without a choice or usage";
            return;
        }
        outcome.Success = true;
    }

    private static long UnixMicrosNow() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    private static bool HasText(JsonElement choice)
    {
        if (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString()!.Length > 0;
        }
        if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            foreach (string field in (ReadOnlySpan<string>)["content", "reasoning_content", "reasoning"])
            {
                if (delta.TryGetProperty(field, out var content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>The request's JSON body.</summary>
    internal byte[] Body(BenchRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + ((request.PromptIds?.Length ?? 0) * 7) + ((request.PromptText?.Length ?? 0) * 2));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model"u8, server.Model);
            if (server.IsChat)
            {
                w.WriteStartArray("messages"u8);
                w.WriteStartObject();
                w.WriteString("role"u8, "user");
                w.WriteString("content"u8, request.PromptText ?? throw new InvalidOperationException("Chat requests need text prompts (--prompt-format text)."));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteNumber("max_completion_tokens"u8, request.OutputTokens);
            }
            else
            {
                if (request.PromptIds is { } ids)
                {
                    w.WriteStartArray("prompt"u8);
                    foreach (int id in ids)
                    {
                        w.WriteNumberValue(id);
                    }
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteString("prompt"u8, request.PromptText);
                }
                w.WriteNumber("max_tokens"u8, request.OutputTokens);
            }
            w.WriteNumber("temperature"u8, sampling.Temperature);
            if (sampling.TopP is { } topP)
            {
                w.WriteNumber("top_p"u8, topP);
            }
            if (sampling.TopK is { } topK)
            {
                w.WriteNumber("top_k"u8, topK);
            }
            if (sampling.MinP is { } minP)
            {
                w.WriteNumber("min_p"u8, minP);
            }
            if (sampling.IgnoreEos)
            {
                w.WriteBoolean("ignore_eos"u8, true);
                w.WriteNumber("min_tokens"u8, request.OutputTokens);
            }
            w.WriteBoolean("stream"u8, true);
            if (sampling.IncludeUsage)
            {
                w.WriteStartObject("stream_options"u8);
                w.WriteBoolean("include_usage"u8, true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= MaxErrorText ? text : text[..MaxErrorText] + "…";
    }
}
