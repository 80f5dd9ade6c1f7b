using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Models;

/// <summary>Feeds <see cref="ModelCatalog"/> from every scheduler's status subject.</summary>
internal sealed partial class SchedulerStatusListener(IMessageBus bus, ModelCatalog catalog, ILogger<SchedulerStatusListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var subscription = await bus.SubscribeAsync(Subjects.AllStatus, cancellationToken: stoppingToken).ConfigureAwait(false);
                await foreach (var message in subscription.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    try
                    {
                        catalog.Update(SchedulerStatus.Parser.ParseFrom(message.Payload.Span));
                    }
                    catch (Exception ex) when (MalformedPayload.Is(ex))
                    {
                        LogBadStatus(logger, ex, message.Subject);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bus hiccup must not kill model discovery: resubscribe after a pause.
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed SchedulerStatus on {Subject}")]
    private static partial void LogBadStatus(ILogger logger, Exception exception, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduler status subscription failed; retrying")]
    private static partial void LogSubscriptionFailed(ILogger logger, Exception exception);
}
