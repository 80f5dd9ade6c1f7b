using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Scheduler.Service;
using LlmServe.Scheduler.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmServe.Scheduler.Tests.Service;

/// <summary>The scheduler's side of per-hop timing, on an in-process bus with a fake one-stage worker.</summary>
public sealed class SchedulerTimingTests : IAsyncLifetime
{
    private const string Model = "tiny/model";
    private const string Replica = "r0";
    private readonly InProcessBus _bus = new();
    private readonly CancellationTokenSource _stop = new();
    private SchedulerService? _service;
    private Collector<TokenDelta>? _detok;

    public async ValueTask InitializeAsync()
    {
        _detok = await Collector<TokenDelta>.StartManyAsync(_bus, Subjects.Detok(Model, 0), p => TokenDeltaBatch.Parser.ParseFrom(p.Span).Deltas);
        var options = new SchedulerOptions
        {
            Model = Model,
            ReplicaId = Replica,
            WorkerTimeout = TimeSpan.FromSeconds(10),
            StepTimeout = TimeSpan.FromSeconds(10),
            TickInterval = TimeSpan.FromMilliseconds(20),
        };
        _service = new SchedulerService(_bus, Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System,
            NullLogger<SchedulerService>.Instance);
        await _service.StartAsync(_stop.Token);
        await _service.Subscribed.WaitAsync(TimeSpan.FromSeconds(10), _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _service!.StopAsync(CancellationToken.None);
        _service.Dispose();
        await _detok!.DisposeAsync();
        await _bus.DisposeAsync();
        _stop.Dispose();
    }

    private ValueTask ScheduleAsync(string id, bool timed, long tokenizerPublishedUs)
    {
        var request = new ScheduleRequest
        {
            Context = new RequestContext { RequestId = id, Timing = timed },
            Sampling = new SamplingParams { MaxTokens = 4 },
            N = 1,
            ReplySubject = $"_LLM_REPLY.test.{id}",
        };
        if (timed)
        {
            request.Timing = new RequestTiming { TokenizerReceivedUs = tokenizerPublishedUs - 5, TokenizerPublishedUs = tokenizerPublishedUs };
        }
        request.PromptTokenIds.Add(PlannerHarness.Prompt(12, 7));
        return _bus.PublishAsync(Subjects.Schedule(Model), request.ToByteArray());
    }

    [Fact]
    public async Task A_timed_requests_token_deltas_carry_its_stamps_and_each_steps_and_an_untimed_ones_carry_none()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await worker.StartAsync();
        long sent = UnixMicros.Now();
        await ScheduleAsync("timed", timed: true, sent);
        await ScheduleAsync("plain", timed: false, 0);

        var deltas = await _detok!.WaitForAsync(d => d.Count(x => x.Finished) == 2);

        var timed = deltas.Where(d => d.Context.RequestId == "timed" && d.Choices.Any(c => c.TokenIds.Count > 0)).ToList();
        Assert.Equal(4, timed.Sum(d => d.Choices.Sum(c => c.TokenIds.Count)));
        var steps = new HashSet<ulong>();
        foreach (TokenDelta delta in timed)
        {
            RequestTiming request = delta.RequestTiming;
            Assert.Equal(sent, request.TokenizerPublishedUs);
            Assert.InRange(request.SchedulerReceivedUs, sent, request.SchedulerAdmittedUs);
            StepTiming step = delta.StepTiming;
            Assert.True(steps.Add(step.StepId), "one delta per step");
            Assert.InRange(step.PlanPublishedUs, request.SchedulerAdmittedUs, step.ResultReceivedUs);
            Assert.InRange(step.DeltaPublishedUs, step.ResultReceivedUs, UnixMicros.Now());
            Assert.Equal(0, step.DetokenizerReceivedUs);
        }
        Assert.All(deltas.Where(d => d.Context.RequestId == "plain"), d =>
        {
            Assert.Null(d.RequestTiming);
            Assert.Null(d.StepTiming);
        });
        // A delta without tokens (the start) carries no step stamps.
        Assert.Null(deltas.First(d => d.Context.RequestId == "timed").StepTiming);
    }
}
