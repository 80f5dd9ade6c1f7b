namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>
/// One hop of a token's way from the client's request to the client, in path order. Each is the difference of two
/// wall-clock stamps (see bench/serving/README.md, "Per-hop timing", for each hop's start and end stamp).
/// </summary>
internal enum Hop
{
    /// <summary>Gateway: request arrival → TokenizeRequest published (body read, parse, validation).</summary>
    Gateway,
    GatewayToTokenizer,
    Tokenizer,
    TokenizerToScheduler,

    /// <summary>Scheduler: schedule request read → admitted (planner add; waits here while no workers are ready).</summary>
    SchedulerAdmit,

    /// <summary>First token: admitted → the plan of the step that sampled it published. Steady tokens: the request's previous result received → this plan published.</summary>
    SchedulerQueue,
    WorkerExecute,

    /// <summary>
    /// (Result received − plan published) − worker execute: the bus both ways plus the worker's and the scheduler loop's waits.
    /// A steady token whose plan went out before the previous result came back counts from that result instead.
    /// </summary>
    WorkerBus,

    /// <summary>Scheduler: result received → token delta published (apply result, plan and send the next step, fan out deltas).</summary>
    SchedulerPublish,
    SchedulerToDetokenizer,
    Detokenizer,
    DetokenizerToGateway,

    /// <summary>Gateway: chunk received → its SSE bytes handed to the client's connection (or the whole body, when not streamed).</summary>
    GatewayWrite,
}
