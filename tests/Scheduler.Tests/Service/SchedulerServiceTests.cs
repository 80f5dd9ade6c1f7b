using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Scheduler.Service;
using LlmServe.Scheduler.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmServe.Scheduler.Tests.Service;

/// <summary>The scheduler service on an in-process bus, with a fake one-stage worker on the same bus.</summary>
public sealed class SchedulerServiceTests : IAsyncLifetime
{
    private const string Model = "tiny/model";
    private const string Replica = "r0";
    private readonly InProcessBus _bus = new();
    private readonly CancellationTokenSource _stop = new();
    private SchedulerService? _service;
    private Collector<TokenDelta>? _detok;
    private Collector<ResponseChunk>? _replies;

    private static SchedulerOptions Options() => new()
    {
        Model = Model,
        ReplicaId = Replica,
        // Short enough that the stalled-worker test ends fast, long enough that a loaded 2-core CI box
        // running other test assemblies beside this one never trips them on a healthy worker.
        WorkerTimeout = TimeSpan.FromSeconds(2),
        StepTimeout = TimeSpan.FromSeconds(2),
        TickInterval = TimeSpan.FromMilliseconds(20),
        StatusInterval = TimeSpan.FromMilliseconds(50),
        NoWorkersTimeout = TimeSpan.FromSeconds(30),
    };

    public async ValueTask InitializeAsync()
    {
        _detok = await Collector<TokenDelta>.StartManyAsync(_bus, Subjects.Detok(Model, 0), p => TokenDeltaBatch.Parser.ParseFrom(p.Span).Deltas);
        _replies = await Collector<ResponseChunk>.StartAsync(_bus, "_LLM_REPLY.test.>", p => ResponseChunk.Parser.ParseFrom(p.Span));
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync(CancellationToken.None);
            _service.Dispose();
        }
        await _detok!.DisposeAsync();
        await _replies!.DisposeAsync();
        await _bus.DisposeAsync();
        _stop.Dispose();
    }

    private async Task StartServiceAsync(SchedulerOptions? options = null)
    {
        _service = new SchedulerService(_bus, Microsoft.Extensions.Options.Options.Create(options ?? Options()), TimeProvider.System,
            NullLogger<SchedulerService>.Instance);
        await _service.StartAsync(_stop.Token);
        await _service.Subscribed.WaitAsync(TimeSpan.FromSeconds(10), _stop.Token); // ExecuteAsync runs in the background
    }

    private ValueTask ScheduleAsync(string id, int[] prompt, int maxTokens, int n = 1)
    {
        var request = new ScheduleRequest
        {
            Context = new RequestContext { RequestId = id },
            Sampling = new SamplingParams { MaxTokens = maxTokens },
            N = n,
            ReplySubject = $"_LLM_REPLY.test.{id}",
        };
        request.PromptTokenIds.Add(prompt);
        return _bus.PublishAsync(Subjects.Schedule(Model), request.ToByteArray());
    }

    private static bool Finished(List<TokenDelta> deltas, string id) =>
        deltas.Any(d => d.Context.RequestId == id && d.Finished);

    [Fact]
    public async Task Serves_a_request_end_to_end_with_deltas_to_the_detokenizer()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await StartServiceAsync();
        await worker.StartAsync();
        await WaitUntilAsync(() => _service!.Engine.IsServing);
        int[] prompt = PlannerHarness.Prompt(20, 1);
        await ScheduleAsync("a", prompt, maxTokens: 5);

        List<TokenDelta> deltas = await _detok!.WaitForAsync(d => Finished(d, "a"));
        var mine = deltas.Where(d => d.Context.RequestId == "a").ToList();
        Assert.NotNull(mine[0].Start);
        Assert.Equal("_LLM_REPLY.test.a", mine[0].Start.ReplySubject);
        Assert.Equal(20, mine[0].Start.PromptTokens);
        int[] tokens = mine.SelectMany(d => d.Choices).SelectMany(c => c.TokenIds).ToArray();
        Assert.Equal(5, tokens.Length);
        var expected = new List<int>(prompt);
        foreach (int token in tokens)
        {
            Assert.Equal(worker.Model.NextToken([.. expected]), token);
            expected.Add(token);
        }
        TokenDelta last = mine[^1];
        Assert.Equal(FinishReason.Length, last.Choices.Single().FinishReason);
        Assert.Equal(new Usage { PromptTokens = 20, CompletionTokens = 5 }, last.Usage);
        Assert.Empty(_replies!.Items);
    }

    [Fact]
    public async Task Results_for_no_step_in_flight_are_ignored_and_serving_goes_on()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await StartServiceAsync();
        await worker.StartAsync();
        await WaitUntilAsync(() => _service!.Engine.IsServing);
        // Step 0 is what an empty or garbage result parses to; nothing is in flight, so it must match nothing.
        foreach (ulong stepId in new ulong[] { 0, 1, 99 })
        {
            await _bus.PublishAsync(Subjects.Result(Model, Replica), new StepResult { StepId = stepId, WorkerId = "stray" }.ToByteArray(),
                cancellationToken: TestContext.Current.CancellationToken);
        }
        await _bus.PublishAsync(Subjects.Result(Model, Replica), Array.Empty<byte>(), cancellationToken: TestContext.Current.CancellationToken);

        await ScheduleAsync("after", PlannerHarness.Prompt(8, 9), maxTokens: 4);

        List<TokenDelta> deltas = await _detok!.WaitForAsync(d => Finished(d, "after"));
        Assert.Equal(4, deltas.Where(d => d.Context.RequestId == "after").SelectMany(d => d.Choices).Sum(c => c.TokenIds.Count));
    }

    [Fact]
    public async Task Requests_that_arrive_before_the_workers_wait_for_them()
    {
        await StartServiceAsync();
        await ScheduleAsync("early", PlannerHarness.Prompt(5, 2), maxTokens: 3, n: 2);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await worker.StartAsync();
        List<TokenDelta> deltas = await _detok!.WaitForAsync(d => Finished(d, "early"));
        Assert.Equal(6, deltas.SelectMany(d => d.Choices).Sum(c => c.TokenIds.Count));
        Assert.Equal(6, deltas.Single(d => d.Finished).Usage.CompletionTokens);
    }

    [Fact]
    public async Task Refused_requests_get_a_typed_error_on_their_reply_subject()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 4, blockSize: 16);
        await StartServiceAsync();
        await worker.StartAsync();
        await ScheduleAsync("huge", PlannerHarness.Prompt(100, 3), maxTokens: 1);
        List<ResponseChunk> replies = await _replies!.WaitForAsync(r => r.Count == 1);
        Assert.Equal(ErrorCode.TooLarge, replies[0].Error.Code);
        Assert.True(replies[0].Done);
        Assert.Equal("huge", replies[0].Context.RequestId);
    }

    [Fact]
    public async Task A_client_gone_cancel_aborts_every_choice_and_finishes_the_request()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await StartServiceAsync();
        await worker.StartAsync();
        await ScheduleAsync("bye", PlannerHarness.Prompt(5, 4), maxTokens: 0, n: 2);
        await _detok!.WaitForAsync(d => d.Count(x => x.Context.RequestId == "bye" && x.Choices.Count > 0) >= 3);
        var cancel = new CancelRequest { Context = new RequestContext { RequestId = "bye" }, Reason = CancelReason.ClientGone, ChoiceIndex = 0 };
        await _bus.PublishAsync(Subjects.Cancel(Model), cancel.ToByteArray(), cancellationToken: TestContext.Current.CancellationToken);
        List<TokenDelta> deltas = await _detok.WaitForAsync(d => Finished(d, "bye"));
        var finishes = deltas.SelectMany(d => d.Choices).Where(c => c.FinishReason != FinishReason.None).ToList();
        Assert.Equal(2, finishes.Count);
        Assert.All(finishes, c => Assert.Equal(FinishReason.Abort, c.FinishReason));
        await WaitUntilAsync(() => _service!.Engine.Planner!.Cache.FreeBlocks == 64);
    }

    [Fact]
    public async Task A_silent_worker_fails_in_flight_requests_with_a_retryable_error_then_serving_resumes()
    {
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await StartServiceAsync();
        await worker.StartAsync();
        worker.Responsive = false;
        await ScheduleAsync("doomed", PlannerHarness.Prompt(8, 5), maxTokens: 4);

        List<ResponseChunk> replies = await _replies!.WaitForAsync(r => r.Any(x => x.Context.RequestId == "doomed"));
        ResponseChunk error = replies.Single(x => x.Context.RequestId == "doomed");
        Assert.Equal(ErrorCode.WorkerFailed, error.Error.Code);
        Assert.True(error.Error.Retryable);
        List<TokenDelta> deltas = await _detok!.WaitForAsync(d => Finished(d, "doomed"));
        Assert.Equal(ErrorCode.WorkerFailed, deltas.Single(d => d.Finished).Error.Code);
        Assert.False(_service!.Engine.IsServing);

        worker.Responsive = true;
        await worker.SayHelloAsync();
        await WaitUntilAsync(() => _service.Engine.IsServing);
        await ScheduleAsync("after", PlannerHarness.Prompt(8, 6), maxTokens: 2);
        await _detok.WaitForAsync(d => Finished(d, "after"));
    }

    [Fact]
    public async Task Publishes_status_and_a_roll_call()
    {
        await using Collector<SchedulerStatus> status = await Collector<SchedulerStatus>.StartAsync(_bus, Subjects.Status(Model), p => SchedulerStatus.Parser.ParseFrom(p.Span));
        await using Collector<WorkerRollCall> rollCalls = await Collector<WorkerRollCall>.StartAsync(_bus, Subjects.RollCall(Model, Replica), p => WorkerRollCall.Parser.ParseFrom(p.Span));
        await using var worker = new BusWorker(_bus, Model, Replica, kvBlocks: 64);
        await StartServiceAsync();
        await rollCalls.WaitForAsync(r => r.Count >= 1);
        await worker.StartAsync();
        List<SchedulerStatus> seen = await status.WaitForAsync(s => s.Any(x => x.Serving));
        SchedulerStatus serving = seen.First(x => x.Serving);
        Assert.Equal(64, serving.KvBlocksTotal);
        Assert.Equal(1, serving.WorkersReady);
        Assert.Equal(4096, serving.MaxModelLen);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met.");
            }
            await Task.Delay(10);
        }
    }
}
