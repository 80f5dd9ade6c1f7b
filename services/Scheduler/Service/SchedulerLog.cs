using Microsoft.Extensions.Logging;

namespace LlmServe.Scheduler.Service;

/// <summary>The scheduler's log lines: structured, source-generated, never prompt text.</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(1, LogLevel.Information, "Scheduler for model {Model} replica {Replica} started; waiting for workers")]
    public static partial void Started(this ILogger logger, string model, string replica);

    [LoggerMessage(2, LogLevel.Information, "KV cache: {Blocks} blocks = {Tokens} tokens, max concurrency at max_model_len {MaxModelLen}: {Concurrency:F2}x ({Stages} stages, {Workers} workers)")]
    public static partial void KvCacheReady(this ILogger logger, int blocks, int tokens, int maxModelLen, double concurrency, int stages, int workers);

    [LoggerMessage(14, LogLevel.Information, "Steps in flight: {StepsInFlight} (async scheduling {Mode})")]
    public static partial void StepsInFlight(this ILogger logger, int stepsInFlight, string mode);

    [LoggerMessage(3, LogLevel.Information, "Running: {Running} seqs, Waiting: {Waiting} seqs, KV cache usage: {Usage:F1}%, prefix cache hit rate: {HitRate:F1}%, prompt throughput: {PromptRate:F1} tokens/s, generation throughput: {GenerationRate:F1} tokens/s, preemptions: {Preemptions}")]
    public static partial void Status(this ILogger logger, int running, int waiting, double usage, double hitRate, double promptRate, double generationRate, long preemptions);

    [LoggerMessage(4, LogLevel.Information, "Worker {WorkerId} joined: stage {Stage}/{Stages}, rank {Rank}/{Ranks}, {KvBlocks} KV blocks of {BlockSize} tokens, max_model_len {MaxModelLen}, device {Device}")]
    public static partial void WorkerJoined(this ILogger logger, string workerId, int stage, int stages, int rank, int ranks, int kvBlocks, int blockSize, int maxModelLen, string device);

    [LoggerMessage(5, LogLevel.Warning, "Worker hello rejected: {Reason}")]
    public static partial void WorkerRejected(this ILogger logger, string reason);

    [LoggerMessage(6, LogLevel.Error, "Replica failed ({Reason}); failing {Requests} requests and waiting for every stage to announce again")]
    public static partial void ReplicaFailed(this ILogger logger, string reason, int requests);

    [LoggerMessage(7, LogLevel.Error, "Workers announce blocks of {WorkerBlockSize} tokens but Scheduler:BlockSize is {ConfiguredBlockSize}; not serving")]
    public static partial void BlockSizeMismatch(this ILogger logger, int workerBlockSize, int configuredBlockSize);

    [LoggerMessage(8, LogLevel.Warning, "Dropped a malformed {Kind} message: {Reason}")]
    public static partial void Malformed(this ILogger logger, string kind, string reason);

    [LoggerMessage(9, LogLevel.Warning, "No workers for {Seconds:F0} s; failing {Requests} waiting requests with NO_WORKERS")]
    public static partial void NoWorkers(this ILogger logger, double seconds, int requests);

    [LoggerMessage(10, LogLevel.Warning, "The KV cache ({Tokens} tokens) is smaller than max_model_len {MaxModelLen}: sequences are capped at {Tokens} tokens")]
    public static partial void CacheSmallerThanContext(this ILogger logger, int tokens, int maxModelLen);

    [LoggerMessage(11, LogLevel.Error, "The scheduler loop failed")]
    public static partial void LoopFailed(this ILogger logger, Exception exception);

    [LoggerMessage(12, LogLevel.Information, "Request {RequestId} arrived again (a retried tokenize hop); the copy is dropped")]
    public static partial void DuplicateRequest(this ILogger logger, string requestId);

    [LoggerMessage(13, LogLevel.Warning, "Request {RequestId}: no detokenizer serves its shard; failed with NO_WORKERS")]
    public static partial void DetokUnreachable(this ILogger logger, string requestId);

    [LoggerMessage(15, LogLevel.Trace, "Step {StepId} plan sent: {Bytes} bytes, fingerprint {Fingerprint:x16}")]
    public static partial void StepPlanSent(this ILogger logger, ulong stepId, int bytes, ulong fingerprint);

    [LoggerMessage(16, LogLevel.Trace, "Step {StepId} result received: {Bytes} bytes, fingerprint {Fingerprint:x16}")]
    public static partial void StepResultReceived(this ILogger logger, ulong stepId, int bytes, ulong fingerprint);
}
