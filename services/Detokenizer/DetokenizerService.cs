using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Tokenization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Detokenizer;

/// <summary>One detokenizer shard: consumes the token deltas of its requests in order and publishes text chunks.</summary>
internal sealed partial class DetokenizerService(
    IMessageBus bus,
    IOptions<DetokenizerOptions> options,
    HfTokenizer tokenizer,
    TimeProvider clock,
    ILogger<DetokenizerService> logger) : BackgroundService
{
    private readonly Lock _gate = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var processor = new DetokenizeProcessor(tokenizer, settings.Model, clock);
        await using var deltas = await bus.SubscribeAsync(Subjects.Detok(settings.Model, settings.Shard), cancellationToken: stoppingToken);
        LogReady(logger, settings.Model, settings.Shard, settings.ShardCount);
        var sweep = SweepAsync(processor, settings.IdleTimeout, stoppingToken);
        var output = new List<OutgoingMessage>();
        try
        {
            await foreach (var message in deltas.ReadAllAsync(stoppingToken))
            {
                // Read once per batch, before parsing: a timed request's "received" stamp, and the idle sweep's clock.
                DateTimeOffset received = clock.GetUtcNow();
                TokenDeltaBatch batch;
                try
                {
                    batch = TokenDeltaBatch.Parser.ParseFrom(message.Payload.Span);
                }
                catch (Exception e) when (MalformedPayload.Is(e))
                {
                    LogUndecodable(logger, message.Subject, e.Message);
                    continue;
                }
                output.Clear();
                lock (_gate)
                {
                    long nowMs = received.ToUnixTimeMilliseconds();
                    long receivedUs = UnixMicros.From(received);
                    foreach (TokenDelta delta in batch.Deltas)
                    {
                        int produced = output.Count;
                        try
                        {
                            processor.Handle(delta, nowMs, output, receivedUs);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            // One request's bad state must not stop the shard or the batch: fail that request only.
                            LogRequestFailed(logger, e, delta.Context?.RequestId);
                            output.RemoveRange(produced, output.Count - produced);
                        }
                    }
                }
                foreach (var outgoing in output)
                {
                    await bus.PublishAsync(outgoing.Subject, outgoing.Payload, cancellationToken: stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await sweep;
    }

    private async Task SweepAsync(DetokenizeProcessor processor, TimeSpan idleTimeout, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(idleTimeout.TotalSeconds / 4, 0.05, 30)), clock);
        var output = new List<OutgoingMessage>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                output.Clear();
                lock (_gate)
                {
                    processor.Sweep((clock.GetUtcNow() - idleTimeout).ToUnixTimeMilliseconds(), output);
                }
                foreach (var outgoing in output)
                {
                    await bus.PublishAsync(outgoing.Subject, outgoing.Payload, cancellationToken: stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Detokenizer ready for model {Model}: shard {Shard} of {ShardCount}")]
    private static partial void LogReady(ILogger logger, string model, int shard, int shardCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an undecodable message on {Subject}: {Reason}")]
    private static partial void LogUndecodable(ILogger logger, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Detokenizing request {RequestId} failed")]
    private static partial void LogRequestFailed(ILogger logger, Exception exception, string? requestId);
}
