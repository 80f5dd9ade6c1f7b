using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Bus;

/// <summary>
/// Follows one (wildcard) subject for the gateway's whole life: parses each message as <typeparamref name="T"/> and
/// hands it to <see cref="Apply"/>. A malformed message is logged and skipped; a failed subscription (a bus hiccup)
/// is retried after a pause, so what it feeds never goes stale for good.
/// </summary>
internal abstract partial class SubjectListener<T>(IMessageBus bus, string subject, MessageParser<T> parser, ILogger logger)
    : BackgroundService
    where T : IMessage<T>
{
    private static readonly TimeSpan ResubscribePause = TimeSpan.FromSeconds(1);

    /// <summary>Takes in one well-formed message.</summary>
    protected abstract void Apply(T message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var subscription = await bus.SubscribeAsync(subject, cancellationToken: stoppingToken).ConfigureAwait(false);
                await foreach (var message in subscription.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    try
                    {
                        Apply(parser.ParseFrom(message.Payload.Span));
                    }
                    catch (Exception ex) when (MalformedPayload.Is(ex))
                    {
                        LogMalformed(logger, ex, typeof(T).Name, message.Subject);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSubscriptionFailed(logger, ex, subject);
            }
            try
            {
                await Task.Delay(ResubscribePause, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed {MessageType} on {Subject}")]
    private static partial void LogMalformed(ILogger logger, Exception exception, string messageType, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription to {Subject} failed; retrying")]
    private static partial void LogSubscriptionFailed(ILogger logger, Exception exception, string subject);
}
