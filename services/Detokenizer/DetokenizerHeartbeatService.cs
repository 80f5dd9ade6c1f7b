using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Detokenizer;

/// <summary>Publishes this shard's <see cref="ServiceHeartbeat"/> once at start and then every interval.</summary>
internal sealed partial class DetokenizerHeartbeatService(
    IMessageBus bus,
    IOptions<DetokenizerOptions> options,
    TimeProvider clock,
    ILogger<DetokenizerHeartbeatService> logger) : BackgroundService
{
    /// <summary>Unique per process start (and per service object).</summary>
    public string InstanceId { get; } = $"{ServiceKinds.Detokenizer}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly long _startedUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        string subject = Subjects.Heartbeat(ServiceKinds.Detokenizer, settings.Model);
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, clock);
        try
        {
            do
            {
                var heartbeat = new ServiceHeartbeat
                {
                    Service = ServiceKinds.Detokenizer,
                    InstanceId = InstanceId,
                    Model = settings.Model,
                    Shard = settings.Shard,
                    ShardCount = settings.ShardCount,
                    UnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                    StartedUnixMs = _startedUnixMs,
                    IntervalMs = (int)settings.HeartbeatInterval.TotalMilliseconds,
                };
                try
                {
                    await bus.PublishAsync(subject, heartbeat.ToByteArray(), cancellationToken: stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed heartbeat only makes the console show this shard stale; the next tick tries again.
                    LogPublishFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing the detokenizer heartbeat failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}
