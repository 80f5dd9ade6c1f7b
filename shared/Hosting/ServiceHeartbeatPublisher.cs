using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmServe.Hosting;

/// <summary>
/// Publishes a service instance's <see cref="ServiceHeartbeat"/> on <see cref="Subjects.Heartbeat"/> once at start and
/// then every interval, so the gateway's console can show the instance and notice when it goes quiet. Services derive
/// from it to supply who they are from their own options.
/// </summary>
public abstract partial class ServiceHeartbeatPublisher : BackgroundService
{
    private readonly IMessageBus _bus;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly long _startedUnixMs;

    protected ServiceHeartbeatPublisher(IMessageBus bus, TimeProvider clock, ILogger logger, string service)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _bus = bus;
        _clock = clock;
        _logger = logger;
        Service = service;
        _startedUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        InstanceId = $"{service}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The service kind (see <see cref="ServiceKinds"/>).</summary>
    public string Service { get; }

    /// <summary>Unique per process start (and per publisher object).</summary>
    public string InstanceId { get; }

    /// <summary>The model this instance serves.</summary>
    protected abstract string Model { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>This instance's shard and the shard count, for sharded services; (0, 0) otherwise.</summary>
    protected virtual (int Shard, int ShardCount) Sharding => (0, 0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string subject = Subjects.Heartbeat(Service, Model);
        using var timer = new PeriodicTimer(Interval, _clock);
        var (shard, shardCount) = Sharding;
        try
        {
            do
            {
                var heartbeat = new ServiceHeartbeat
                {
                    Service = Service,
                    InstanceId = InstanceId,
                    Model = Model,
                    Shard = shard,
                    ShardCount = shardCount,
                    UnixMs = _clock.GetUtcNow().ToUnixTimeMilliseconds(),
                    StartedUnixMs = _startedUnixMs,
                    IntervalMs = (int)Interval.TotalMilliseconds,
                };
                try
                {
                    await _bus.PublishAsync(subject, heartbeat.ToByteArray(), cancellationToken: stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed heartbeat only makes the console show this instance stale; the next tick tries again.
                    LogPublishFailed(_logger, e, Service);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing the {Service} heartbeat failed")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string service);
}
