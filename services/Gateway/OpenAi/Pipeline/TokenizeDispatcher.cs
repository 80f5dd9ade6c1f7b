using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>
/// The gateway → tokenizer hop of a generation, retried. The request goes out as a bus request: a tokenizer
/// acknowledges it on the bus inbox once the request is on its way to the scheduler, while the stream itself
/// comes on the request's own reply subject. A tokenizer that dies holding the request never acknowledges, so
/// after <see cref="GatewayOptions.TokenizeAckTimeout"/> the same request goes out again and another replica of
/// the queue group takes it. The hop is idempotent: the request id stays the same and a scheduler ignores a
/// request id it already holds.
/// </summary>
public sealed partial class TokenizeDispatcher
{
    private readonly IMessageBus _bus;
    private readonly GatewayOptions _options;
    private readonly ILogger<TokenizeDispatcher> _logger;
    private readonly ResiliencePipeline _retry;

    public TokenizeDispatcher(IMessageBus bus, IOptions<GatewayOptions> options, ILogger<TokenizeDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bus = bus;
        _options = options.Value;
        _logger = logger;
        _retry = _options.TokenizeAttempts <= 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TimeoutException>().Handle<NoRespondersException>(),
                MaxRetryAttempts = _options.TokenizeAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(1),
                OnRetry = arguments =>
                {
                    LogRetry(_logger, arguments.AttemptNumber + 1, arguments.Outcome.Exception?.GetType().Name ?? "none");
                    return default;
                },
            }).Build();
    }

    /// <summary>
    /// Sends <paramref name="request"/> until a tokenizer acknowledges it. Returns null when one did, or the error
    /// the client should get (no tokenizer, none acknowledged, the bus refused it, or the tokenizer's own answer).
    /// </summary>
    public async Task<ApiError?> SendAsync(TokenizeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string subject = Subjects.Tokenize(request.Model);
        byte[] payload = request.ToByteArray();
        try
        {
            var ack = await _retry.ExecuteAsync(
                async ct => await _bus.RequestAsync(subject, payload, _options.TokenizeAckTimeout, cancellationToken: ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return ParseAck(ack);
        }
        catch (NoRespondersException)
        {
            return ErrorCatalog.NoResponders("tokenizer");
        }
        catch (TimeoutException)
        {
            return ErrorCatalog.FromCode(ErrorCode.WorkerFailed,
                $"No tokenizer acknowledged the request after {_options.TokenizeAttempts} tries; retry the request.");
        }
        catch (PayloadTooLargeException ex)
        {
            return ErrorCatalog.FromCode(ErrorCode.TooLarge,
                $"The request is {ex.Size} bytes on the bus, more than its limit of {ex.MaxPayload}.");
        }
        catch (Exception ex) when (ex is BusConnectionException or BusClosedException or ReconnectBufferFullException)
        {
            return ErrorCatalog.FromCode(ErrorCode.NoWorkers, "The message bus is unavailable; retry the request.");
        }
    }

    private static ApiError? ParseAck(BusMessage ack)
    {
        if (ack.Payload.IsEmpty)
        {
            return null;
        }
        try
        {
            var chunk = ResponseChunk.Parser.ParseFrom(ack.Payload.Span);
            return chunk.Error is { } error ? ErrorCatalog.FromBus(error) : null;
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            return ErrorCatalog.Internal("The tokenizer sent a malformed acknowledgement.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tokenize hop: try {Attempt} after {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);
}
