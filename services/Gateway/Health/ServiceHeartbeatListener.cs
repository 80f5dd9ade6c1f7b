using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Health;

/// <summary>Feeds <see cref="ServiceInstanceRegistry"/> from the heartbeat subjects of every tokenizer and detokenizer.</summary>
internal sealed partial class ServiceHeartbeatListener(IMessageBus bus, ServiceInstanceRegistry registry, ILogger<ServiceHeartbeatListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var subscription = await bus.SubscribeAsync(Subjects.AllHeartbeats, cancellationToken: stoppingToken).ConfigureAwait(false);
                await foreach (var message in subscription.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    try
                    {
                        registry.Record(ServiceHeartbeat.Parser.ParseFrom(message.Payload.Span));
                    }
                    catch (Exception ex) when (MalformedPayload.Is(ex))
                    {
                        LogBadHeartbeat(logger, ex, message.Subject);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bus hiccup must not blank the health table for good: resubscribe after a pause.
                LogSubscriptionFailed(logger, ex);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed ServiceHeartbeat on {Subject}")]
    private static partial void LogBadHeartbeat(ILogger logger, Exception exception, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service heartbeat subscription failed; retrying")]
    private static partial void LogSubscriptionFailed(ILogger logger, Exception exception);
}
