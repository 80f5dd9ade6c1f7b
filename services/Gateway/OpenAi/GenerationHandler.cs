using System.Diagnostics;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.Limits;
using LlmServe.Gateway.Metrics;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.OpenAi.Pipeline;
using LlmServe.Gateway.OpenAi.Requests;
using LlmServe.Gateway.OpenAi.Responses;
using LlmServe.Gateway.OpenAi.Timing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.OpenAi;

/// <summary>
/// Serves /v1/chat/completions and /v1/completions: parse and validate, take an in-flight slot, start the
/// generation on the bus, then answer as SSE or as one JSON body. Logs ids, model, token counts, status and
/// latency, never prompt or output text.
/// </summary>
public sealed partial class GenerationHandler(
    GenerationClient client,
    InFlightLimiter limiter,
    ModelCatalog catalog,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<GenerationHandler> logger)
{
    public async Task HandleAsync(HttpContext context, ApiKind kind)
    {
        ArgumentNullException.ThrowIfNull(context);
        long started = Stopwatch.GetTimestamp();
        long arrivedUs = HopTimingHeader.IsRequested(context.Request) ? UnixMicros.Now(time) : 0;
        var settings = options.Value;
        GenerationRequest request;
        using (var body = await JsonRequestBody.ReadAsync(context, settings.MaxRequestBodyBytes).ConfigureAwait(false))
        {
            request = kind == ApiKind.ChatCompletions
                ? ChatRequestParser.Parse(body.Root, settings, catalog)
                : CompletionRequestParser.Parse(body.Root, settings, catalog);
        }

        if (!limiter.TryEnter())
        {
            throw new ApiException(ErrorCatalog.TooManyInFlight());
        }
        string id = (kind == ApiKind.ChatCompletions ? "chatcmpl-" : "cmpl-")
            + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var outcome = new Outcome(request.Inputs.Count, request.ChoiceCount);
        int status = StatusCodes.Status200OK;
        try
        {
            context.Response.Headers["X-Request-Id"] = id;
            var aborted = context.RequestAborted;
            await using var set = await client.StartAsync(id, request, timing: arrivedUs != 0, aborted).ConfigureAwait(false);
            var timing = arrivedUs != 0 ? new HopTimingRecorder(arrivedUs, request.Inputs.Count, time) : null;
            // Cancel upstream the moment the client goes, even while we wait on the bus.
            await using var onAbort = aborted.Register(() => _ = set.CancelAsync(CancelReason.ClientGone)).ConfigureAwait(false);
            var format = ResponseFormat.For(request, id, time.GetUtcNow().ToUnixTimeSeconds());
            if (request.Stream)
            {
                await StreamAsync(context, request, set, format, outcome, started, timing).ConfigureAwait(false);
            }
            else
            {
                await RespondAsync(context, request, set, format, outcome, started, timing).ConfigureAwait(false);
            }
            status = context.Response.StatusCode;
        }
        catch (ApiException ex)
        {
            status = ex.Error.Status;
            throw;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = StatusCodes.Status499ClientClosedRequest;
            throw;
        }
        finally
        {
            limiter.Exit();
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (outcome.Error is null && status == StatusCodes.Status200OK)
            {
                metrics.RecordFinished(request.ServedModel, seconds, outcome.FirstOutputSeconds, outcome.Usage.PromptTokens,
                    outcome.Usage.CompletionTokens, outcome.Choices.Select(c => FinishReasons.ToOpenAi(c.FinishReason) ?? "unknown"));
            }
            LogFinished(logger, id, request.ServedModel, outcome.Error?.Status ?? status, outcome.Usage.PromptTokens,
                outcome.Usage.CompletionTokens, seconds * 1000);
        }
    }

    private static async Task RespondAsync(HttpContext context, GenerationRequest request, GenerationSet set, ResponseFormat format,
        Outcome outcome, long started, HopTimingRecorder? timing)
    {
        var ct = context.RequestAborted;
        await foreach (var e in set.Events.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (e.Error is { } error)
            {
                outcome.Error = error;
                throw new ApiException(error);
            }
            Absorb(request, e, outcome, started, keepText: true);
            timing?.Add(e.PromptIndex, e.Chunk!);
        }
        context.Response.ContentType = "application/json";
        // Every token reaches this client in the one body written now.
        timing?.MarkWritten();
        using (var w = new Utf8JsonWriter(context.Response.BodyWriter, JsonOutput.Options))
        {
            format.WriteResponse(w, outcome.Choices, outcome.Usage, timing?.Complete(set.TokenizePublishedUs()));
        }
        await context.Response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, GenerationRequest request, GenerationSet set, ResponseFormat format,
        Outcome outcome, long started, HopTimingRecorder? timing)
    {
        var ct = context.RequestAborted;
        var events = set.Events;
        // Wait for the first event before committing to 200, so early failures (no tokenizer, prompt too long,
        // first-token timeout) get their real HTTP status.
        if (!await events.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            throw new ApiException(ErrorCatalog.Internal("The pipeline finished without an answer."));
        }
        if (events.TryPeek(out var head) && head.Error is { } early)
        {
            outcome.Error = early;
            throw new ApiException(early);
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        using var sse = new SseWriter(response.BodyWriter);
        try
        {
            while (await events.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (events.TryRead(out var e))
                {
                    if (e.Error is { } error)
                    {
                        throw new ApiException(error);
                    }
                    Absorb(request, e, outcome, started, keepText: false);
                    foreach (var choice in e.Chunk!.Choices)
                    {
                        int index = e.PromptIndex * request.N + choice.Index;
                        format.WriteStreamChoice(sse, index, choice, outcome.Choices[index]);
                    }
                    timing?.Add(e.PromptIndex, e.Chunk);
                }
                // Stamped before the flush: the client cannot have these bytes before this moment.
                timing?.MarkWritten();
                await sse.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (ApiException ex)
        {
            // Headers are gone: the error becomes the stream's last event, then [DONE], as OpenAI does.
            outcome.Error = ex.Error;
            await set.CancelAsync(CancelReason.Unspecified).ConfigureAwait(false);
            ErrorJson.Write(sse.BeginEvent(), ex.Error);
            sse.EndEvent();
            sse.WriteDone();
            await sse.FlushAsync(ct).ConfigureAwait(false);
            return;
        }
        if (timing is not null)
        {
            // The breakdown rides on the usage chunk, or on a chunk of its own (choices: []) when usage was not asked for.
            format.WriteFinalChunk(sse, request.IncludeUsage ? outcome.Usage : null, timing.Complete(set.TokenizePublishedUs()));
        }
        else if (request.IncludeUsage)
        {
            format.WriteFinalChunk(sse, outcome.Usage, null);
        }
        sse.WriteDone();
        await sse.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Folds one chunk into the per-choice state, usage and first-output time.</summary>
    private static void Absorb(GenerationRequest request, GenerationEvent e, Outcome outcome, long started, bool keepText)
    {
        var chunk = e.Chunk!;
        foreach (var choice in chunk.Choices)
        {
            if (choice.Index < 0 || choice.Index >= request.N)
            {
                throw new ApiException(ErrorCatalog.Internal("The pipeline sent a choice index out of range."));
            }
            var state = outcome.Choices[e.PromptIndex * request.N + choice.Index];
            if (outcome.FirstOutputSeconds is null && (choice.Text.Length > 0 || choice.TokenIds.Count > 0))
            {
                outcome.FirstOutputSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
            if (keepText)
            {
                state.Text.Append(choice.Text);
                for (int i = 0; i < choice.Logprobs.Count; i++)
                {
                    state.Logprobs.Add((LogprobEntries.TokenText(choice, i), choice.Logprobs[i]));
                }
            }
            if (choice.FinishReason != FinishReason.None)
            {
                state.FinishReason = choice.FinishReason;
                state.Stop = string.IsNullOrEmpty(choice.Stop) ? null : choice.Stop;
            }
        }
        if (chunk.Usage is { } usage)
        {
            // Latest report per prompt wins, so cumulative and final-only usage both add up right.
            outcome.PromptUsage[e.PromptIndex] = usage;
        }
    }

    /// <summary>Everything one request accumulates for its answer, metrics and log line.</summary>
    private sealed class Outcome
    {
        public Outcome(int prompts, int choices)
        {
            PromptUsage = new Usage?[prompts];
            Choices = new ChoiceState[choices];
            for (int i = 0; i < choices; i++)
            {
                Choices[i] = new ChoiceState();
            }
        }

        public ChoiceState[] Choices { get; }

        public Usage?[] PromptUsage { get; }

        public UsageTotals Usage => UsageTotals.Sum(PromptUsage);

        public double? FirstOutputSeconds { get; set; }

        public ApiError? Error { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Request {RequestId} model={Model} status={Status} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} latency_ms={LatencyMs:F1}")]
    private static partial void LogFinished(ILogger logger, string requestId, string model, int status, int promptTokens,
        int completionTokens, double latencyMs);
}
