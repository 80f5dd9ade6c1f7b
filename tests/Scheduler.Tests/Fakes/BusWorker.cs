using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;

namespace LlmServe.Scheduler.Tests.Fakes;

/// <summary>A one-stage worker on the bus around <see cref="FakeWorker"/>: says hello, answers roll calls, executes steps.</summary>
internal sealed class BusWorker : IAsyncDisposable
{
    private readonly IMessageBus _bus;
    private readonly string _model;
    private readonly string _replica;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private IBusSubscription? _steps;
    private IBusSubscription? _rollCalls;

    public BusWorker(IMessageBus bus, string model, string replica, int kvBlocks, int blockSize = 16, int maxModelLen = 4096, string id = "w0")
    {
        _bus = bus;
        _model = model;
        _replica = replica;
        Model = new FakeWorker(kvBlocks, blockSize);
        Hello = new WorkerHello
        {
            WorkerId = id,
            StageIndex = 0,
            StageCount = 1,
            KvBlocks = kvBlocks,
            BlockSize = blockSize,
            MaxModelLen = maxModelLen,
            Device = "fake",
        };
    }

    public FakeWorker Model { get; }

    public WorkerHello Hello { get; }

    /// <summary>When false, steps are swallowed (a hung worker).</summary>
    public bool Responsive { get; set; } = true;

    public int RollCallsSeen { get; private set; }

    public async Task StartAsync()
    {
        _steps = await _bus.SubscribeAsync(Subjects.Step(_model, _replica));
        _rollCalls = await _bus.SubscribeAsync(Subjects.RollCall(_model, _replica));
        _loops.Add(Task.Run(StepLoopAsync));
        _loops.Add(Task.Run(RollCallLoopAsync));
        _loops.Add(Task.Run(HeartbeatLoopAsync));
        await SayHelloAsync();
    }

    public ValueTask SayHelloAsync() =>
        _bus.PublishAsync(Subjects.Workers(_model, _replica), new WorkerMessage { Hello = Hello }.ToByteArray());

    public ValueTask HeartbeatAsync() =>
        _bus.PublishAsync(Subjects.Workers(_model, _replica),
            new WorkerMessage { Heartbeat = new WorkerHeartbeat { WorkerId = Hello.WorkerId } }.ToByteArray());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_steps is not null)
        {
            await _steps.DisposeAsync();
        }
        if (_rollCalls is not null)
        {
            await _rollCalls.DisposeAsync();
        }
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task StepLoopAsync()
    {
        await foreach (BusMessage message in _steps!.ReadAllAsync(_stop.Token))
        {
            if (!Responsive)
            {
                continue;
            }
            StepResult result = Model.Execute(StepPlan.Parser.ParseFrom(message.Payload.Span));
            result.WorkerId = Hello.WorkerId;
            await _bus.PublishAsync(Subjects.Result(_model, _replica), result.ToByteArray());
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            if (Responsive)
            {
                await HeartbeatAsync();
            }
        }
    }

    private async Task RollCallLoopAsync()
    {
        await foreach (BusMessage _ in _rollCalls!.ReadAllAsync(_stop.Token))
        {
            RollCallsSeen++;
            if (Responsive)
            {
                await SayHelloAsync();
            }
        }
    }
}
