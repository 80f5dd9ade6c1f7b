using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;

namespace LlmServe.Tokenizer;

/// <summary>Handles one bus message: generate (encode, check, forward to the scheduler), tokenize-only, or detokenize.</summary>
internal sealed partial class TokenizeRequestHandler(PromptEncoder encoder, IMessageBus bus, string model, ILogger logger)
{
    private readonly string _scheduleSubject = Subjects.Schedule(model);

    /// <summary>This replica's subject for NATS's 503 "no responders" answers (see <see cref="HandleNoSchedulerAsync"/>).</summary>
    public string NoRespondersSubject { get; } = Subjects.NoResponders($"tokenizer-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public async ValueTask HandleTokenizeAsync(BusMessage message, CancellationToken cancellationToken)
    {
        long receivedUs = UnixMicros.Now();
        TokenizeRequest request;
        try
        {
            request = TokenizeRequest.Parser.ParseFrom(message.Payload.Span);
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            LogUndecodable(logger, message.Subject, e.Message);
            if (!string.IsNullOrEmpty(message.ReplyTo))
            {
                var error = new Error { Code = ErrorCode.InvalidRequest, Message = "Undecodable tokenize request: " + e.Message };
                await bus.PublishAsync(message.ReplyTo, new ResponseChunk { Error = error, Done = true }.ToByteArray(),
                    cancellationToken: cancellationToken);
            }
            return;
        }

        try
        {
            await HandleDecodedAsync(request, message, receivedUs, cancellationToken);
        }
        finally
        {
            // The gateway sends generations as bus requests and waits for this acknowledgement, sent once the request
            // is on its way (in order on this connection, so the scheduler has it first); without it the gateway
            // sends the request again to another replica.
            if (!string.IsNullOrEmpty(message.ReplyTo) && !string.IsNullOrEmpty(request.ReplySubject)
                && message.ReplyTo != request.ReplySubject)
            {
                await bus.PublishAsync(message.ReplyTo, new ResponseChunk { Context = request.Context }.ToByteArray(),
                    cancellationToken: cancellationToken);
            }
        }
    }

    private async ValueTask HandleDecodedAsync(TokenizeRequest request, BusMessage message, long receivedUs, CancellationToken cancellationToken)
    {
        string replyTo = request.ReplySubject;
        if (string.IsNullOrEmpty(replyTo))
        {
            replyTo = message.ReplyTo ?? string.Empty;
        }
        if (string.IsNullOrEmpty(replyTo))
        {
            LogNoReplySubject(logger, request.Context?.RequestId);
            return;
        }

        try
        {
            if (request.Context is { DeadlineUnixMs: > 0 } ctx && ctx.DeadlineUnixMs < DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            {
                throw new PromptRejectedException(ErrorCode.Timeout, "The request's deadline passed before it was tokenized.");
            }
            int[] ids = encoder.Encode(request);
            if (request.Kind == RequestKind.TokenizeOnly)
            {
                var result = new TokenizeResult { Context = request.Context, MaxModelLen = encoder.Model.MaxModelLen };
                result.Tokens.Add(ids);
                await bus.PublishAsync(replyTo, result.ToByteArray(), cancellationToken: cancellationToken);
                return;
            }

            int maxTokens = encoder.CheckLength(ids.Length, request.Sampling?.MaxTokens ?? 0);
            var sampling = request.Sampling?.Clone() ?? new SamplingParams { Temperature = 1, TopP = 1, RepetitionPenalty = 1 };
            sampling.MaxTokens = maxTokens;
            var schedule = new ScheduleRequest
            {
                Context = request.Context,
                Sampling = sampling,
                Detokenize = request.Detokenize ?? new DetokenizeParams { SkipSpecialTokens = true },
                N = Math.Max(1, request.N),
                ReplySubject = replyTo,
                Priority = request.Priority,
                ArrivalUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Echo = request.Echo,
            };
            schedule.PromptTokenIds.Add(ids);
            if (request.Context is { Timing: true })
            {
                // Stamped as late as possible: everything before the publish (encode, checks, building the message) is ours.
                schedule.Timing = new RequestTiming { TokenizerReceivedUs = receivedUs, TokenizerPublishedUs = UnixMicros.Now() };
            }
            // NATS answers 503 on this reply-to at once when no scheduler subscribes; the subject carries the client's
            // reply subject, so the client hears "unavailable" now instead of at its first-token timeout.
            await bus.PublishAsync(_scheduleSubject, schedule.ToByteArray(), $"{NoRespondersSubject}.{replyTo}",
                cancellationToken: cancellationToken);
            LogForwarded(logger, request.Context?.RequestId, ids.Length, maxTokens);
        }
        catch (PromptRejectedException e)
        {
            LogRejected(logger, request.Context?.RequestId, e.Code, e.Message);
            await ReplyErrorAsync(request, replyTo, e.ToError(), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e, request.Context?.RequestId);
            await ReplyErrorAsync(request, replyTo,
                new Error { Code = ErrorCode.Internal, Message = "The tokenizer failed to process the request.", Retryable = true },
                cancellationToken);
        }
    }

    /// <summary>A schedule request reached no scheduler: tell the client, whose reply subject follows our prefix.</summary>
    public async ValueTask HandleNoSchedulerAsync(BusMessage message, CancellationToken cancellationToken)
    {
        if (message.Headers is not { StatusCode: 503 } || message.Subject.Length <= NoRespondersSubject.Length + 1)
        {
            return;
        }
        string replyTo = message.Subject[(NoRespondersSubject.Length + 1)..];
        var error = new Error
        {
            Code = ErrorCode.NoWorkers,
            Message = $"No scheduler is serving model '{model}' right now; retry the request.",
            Retryable = true,
        };
        await bus.PublishAsync(replyTo, new ResponseChunk { Error = error, Done = true }.ToByteArray(), cancellationToken: cancellationToken);
    }

    public async ValueTask HandleDetokenizeAsync(BusMessage message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.ReplyTo))
        {
            return;
        }
        var reply = new DetokenizeResult();
        try
        {
            var request = DetokenizeRequest.Parser.ParseFrom(message.Payload.Span);
            reply.Context = request.Context;
            int vocab = encoder.Model.Tokenizer.VocabSize;
            var ids = request.Tokens.ToArray();
            int bad = Array.FindIndex(ids, id => id < 0 || id >= vocab);
            if (bad >= 0)
            {
                reply.Error = new Error { Code = ErrorCode.InvalidRequest, Message = $"Token id {ids[bad]} is out of vocabulary (size {vocab}).", Param = "tokens" };
            }
            else
            {
                reply.Text = encoder.Model.Tokenizer.Decode(ids, skipSpecialTokens: false);
            }
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            reply.Error = new Error { Code = ErrorCode.InvalidRequest, Message = "Undecodable detokenize request: " + e.Message };
        }
        await bus.PublishAsync(message.ReplyTo, reply.ToByteArray(), cancellationToken: cancellationToken);
    }

    private async ValueTask ReplyErrorAsync(TokenizeRequest request, string replyTo, Error error, CancellationToken cancellationToken)
    {
        byte[] payload = request.Kind == RequestKind.TokenizeOnly
            ? new TokenizeResult { Context = request.Context, Error = error }.ToByteArray()
            : new ResponseChunk { Context = request.Context, Error = error, Done = true }.ToByteArray();
        await bus.PublishAsync(replyTo, payload, cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an undecodable message on {Subject}: {Reason}")]
    private static partial void LogUndecodable(ILogger logger, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} has no reply subject; dropped")]
    private static partial void LogNoReplySubject(ILogger logger, string? requestId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: {PromptTokens} prompt tokens, max_tokens {MaxTokens}, forwarded to the scheduler")]
    private static partial void LogForwarded(ILogger logger, string? requestId, int promptTokens, int maxTokens);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} rejected ({Code}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string? requestId, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed in the tokenizer")]
    private static partial void LogFailed(ILogger logger, Exception exception, string? requestId);
}
