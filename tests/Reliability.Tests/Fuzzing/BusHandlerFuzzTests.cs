using Google.Protobuf;
using Google.Protobuf.Reflection;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Reliability.Tests.Faults;
using LlmServe.Reliability.Tests.Load;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>
/// Every service's handlers, fed garbage on their own subjects over the real nats-server: random bytes and mutated
/// valid messages of the type each subject carries. No service may crash; where a reply is expected (tokenize,
/// detokenize requests) it must be a typed error; and the system must serve normally afterwards.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BusHandlerFuzzTests(FaultClusterFixture fixture)
{
    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Cases => Math.Max(20, FuzzBudget.Cases / 3);

    [Fact]
    public async Task Garbage_requests_on_reply_subjects_get_typed_errors()
    {
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = Cluster.Nats.Url }, cancellationToken: Ct);
        var random = new Random(FuzzBudget.Seed + 1);
        var mutator = new ByteMutator(random);
        int typed = 0;
        for (int i = 0; i < Cases; i++)
        {
            // Random bytes rarely decode; bytes that do are valid requests and may be answered normally.
            byte[] tokenize = mutator.RandomBytes(48);
            if (TryParse(TokenizeRequest.Parser, tokenize) is null)
            {
                var reply = await bus.RequestAsync(Subjects.Tokenize(Cluster.Model), tokenize, TimeSpan.FromSeconds(10), cancellationToken: Ct);
                var chunk = ResponseChunk.Parser.ParseFrom(reply.Payload.Span);
                Assert.Equal(ErrorCode.InvalidRequest, chunk.Error?.Code);
                typed++;
            }
            byte[] detokenize = mutator.RandomBytes(48);
            if (TryParse(DetokenizeRequest.Parser, detokenize) is null)
            {
                var reply = await bus.RequestAsync(Subjects.Detokenize(Cluster.Model), detokenize, TimeSpan.FromSeconds(10), cancellationToken: Ct);
                var result = DetokenizeResult.Parser.ParseFrom(reply.Payload.Span);
                Assert.Equal(ErrorCode.InvalidRequest, result.Error?.Code);
                typed++;
            }
        }
        ScenarioReport.Write("fuzz-bus-replies", $"{typed} undecodable requests, each answered with a typed INVALID_REQUEST error");
        Assert.True(typed > Cases / 2);
    }

    [Fact]
    public async Task Garbage_on_every_service_subject_crashes_nothing_and_service_continues()
    {
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = Cluster.Nats.Url }, cancellationToken: Ct);
        var random = new Random(FuzzBudget.Seed + 2);
        var mutator = new ByteMutator(random);
        var sampler = new MessageSampler(random);
        string m = Cluster.Model;
        (string Subject, MessageDescriptor Type)[] targets =
        [
            (Subjects.Tokenize(m), TokenizeRequest.Descriptor),
            (Subjects.Detokenize(m), DetokenizeRequest.Descriptor),
            (Subjects.Schedule(m), ScheduleRequest.Descriptor),
            (Subjects.Cancel(m), CancelRequest.Descriptor),
            (Subjects.Result(m, "0"), StepResult.Descriptor),
            (Subjects.Workers(m, "0"), WorkerMessage.Descriptor),
            (Subjects.Step(m, "0"), StepPlan.Descriptor),
            (Subjects.Hidden(m, "0", 1), HiddenStates.Descriptor),
            (Subjects.RollCall(m, "0"), WorkerRollCall.Descriptor),
            (Subjects.Detok(m, 0), TokenDeltaBatch.Descriptor),
            (Subjects.Detok(m, 1), TokenDeltaBatch.Descriptor),
            (Subjects.Status(m), SchedulerStatus.Descriptor),
        ];
        int sent = 0;
        foreach (var (subject, type) in targets)
        {
            for (int i = 0; i < Cases; i++)
            {
                byte[] payload = i % 2 == 0 ? mutator.RandomBytes(96) : mutator.Mutate(sampler.Sample(type).ToByteArray());
                await bus.PublishAsync(subject, payload, cancellationToken: Ct);
                sent++;
            }
            await bus.FlushAsync(Ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        var dead = Cluster.Current.Where(s => s.HasExited).ToList();
        Assert.True(dead.Count == 0, $"crashed: {string.Join(", ", dead)}\n{string.Join("\n---\n", dead.Select(d => d.Output))}");
        // Forged worker or step messages may make the scheduler reset its replica (as a real worker failure would):
        // the system must be serving again soon after.
        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var client = new StreamingChatClient(http, Cluster.Model, TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        RequestOutcome outcome;
        do
        {
            outcome = await client.SendAsync("after the garbage", 8, cancellationToken: Ct);
        }
        while (outcome.Kind != OutcomeKind.Completed && DateTime.UtcNow < deadline);
        if (Environment.GetEnvironmentVariable("LLMSERVE_RELIABILITY_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "bus-fuzz.log"), Cluster.Logs);
        }
        ScenarioReport.Write("fuzz-bus-subjects", $"{sent} garbage messages on {targets.Length} subjects; processes alive: {Cluster.Current.Count()}; next request: {outcome.Kind}");
        Assert.Equal(OutcomeKind.Completed, outcome.Kind);
        await fixture.Status.WaitForIdleAsync(TimeSpan.FromSeconds(30));
    }

    private static T? TryParse<T>(MessageParser<T> parser, byte[] bytes)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            return null;
        }
    }
}
