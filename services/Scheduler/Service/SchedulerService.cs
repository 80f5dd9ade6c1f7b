using System.Threading.Channels;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Scheduler.Service;

/// <summary>
/// Hosts one scheduler replica on the bus: subscribes to schedule (queue group), cancel, result and worker
/// subjects, funnels every message and a housekeeping tick into one channel, and lets
/// <see cref="SchedulerEngine"/> handle them on this single loop.
/// </summary>
internal sealed class SchedulerService : BackgroundService
{
    private readonly IMessageBus _bus;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SchedulerService> _logger;
    private readonly SchedulerEngine _engine;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SchedulerService(IMessageBus bus, IOptions<SchedulerOptions> options, TimeProvider time, ILogger<SchedulerService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bus = bus;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _engine = new SchedulerEngine(_options, new SchedulerPublisher(bus, _options), logger, time);
    }

    internal SchedulerEngine Engine => _engine;

    /// <summary>Completes once the subscriptions exist and the roll call went out (ExecuteAsync runs in the background).</summary>
    internal Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var events = Channel.CreateUnbounded<SchedulerEvent>(new UnboundedChannelOptions { SingleReader = true });
        string model = _options.Model;
        string replica = _options.ReplicaId;
        IBusSubscription[] subscriptions =
        [
            await _bus.SubscribeAsync(Subjects.Schedule(model), Subjects.SchedulerQueue, cancellationToken: stoppingToken).ConfigureAwait(false),
            await _bus.SubscribeAsync(Subjects.Cancel(model), cancellationToken: stoppingToken).ConfigureAwait(false),
            await _bus.SubscribeAsync(Subjects.Result(model, replica), cancellationToken: stoppingToken).ConfigureAwait(false),
            await _bus.SubscribeAsync(Subjects.Workers(model, replica), cancellationToken: stoppingToken).ConfigureAwait(false),
            await _bus.SubscribeAsync(_engine.NoRespondersSubject + ".>", cancellationToken: stoppingToken).ConfigureAwait(false),
        ];
        SchedulerEventKind[] kinds =
        [
            SchedulerEventKind.Schedule, SchedulerEventKind.Cancel, SchedulerEventKind.Result, SchedulerEventKind.Worker,
            SchedulerEventKind.DetokUnreachable,
        ];
        var pumps = new List<Task>(subscriptions.Length + 1);
        for (int i = 0; i < subscriptions.Length; i++)
        {
            pumps.Add(PumpAsync(subscriptions[i], kinds[i], events.Writer, stoppingToken));
        }
        pumps.Add(TickAsync(events.Writer, stoppingToken));

        try
        {
            await _engine.StartAsync(stoppingToken).ConfigureAwait(false);
            _subscribed.TrySetResult();
            ChannelReader<SchedulerEvent> reader = events.Reader;
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Take everything that arrived, then plan once: arrivals in a burst share a step.
                while (reader.TryRead(out SchedulerEvent e))
                {
                    await _engine.HandleAsync(e, stoppingToken).ConfigureAwait(false);
                }
                await _engine.RunStepIfIdleAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        catch (Exception e)
        {
            _logger.LoopFailed(e);
            throw;
        }
        finally
        {
            foreach (IBusSubscription subscription in subscriptions)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
            try
            {
                await Task.WhenAll(pumps).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the pumps stop with the loop
            }
        }
    }

    private static async Task PumpAsync(IBusSubscription subscription, SchedulerEventKind kind, ChannelWriter<SchedulerEvent> writer, CancellationToken cancellationToken)
    {
        await foreach (BusMessage message in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            writer.TryWrite(new SchedulerEvent(kind, message));
        }
    }

    private async Task TickAsync(ChannelWriter<SchedulerEvent> writer, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            writer.TryWrite(new SchedulerEvent(SchedulerEventKind.Tick, null));
        }
    }
}
