using LlmServe.Scheduler.Planning;

namespace LlmServe.Scheduler.Service;

/// <summary>The "Scheduler" configuration section: one scheduler replica of one served model.</summary>
public sealed class SchedulerOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>Served model name (subjects are derived from it).</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>This replica's id; its workers use the same one.</summary>
    public string ReplicaId { get; set; } = "0";

    public int MaxNumSeqs { get; set; } = 256;

    public int MaxNumBatchedTokens { get; set; } = 2048;

    /// <summary>Tokens per KV block the workers must announce; 0 takes whatever they announce.</summary>
    public int BlockSize { get; set; } = 16;

    /// <summary>Caps the workers' context length when positive.</summary>
    public int MaxModelLen { get; set; }

    /// <summary>Caps the workers' KV blocks when positive (tests, or leaving room).</summary>
    public int NumKvBlocksOverride { get; set; }

    public bool EnablePrefixCaching { get; set; } = true;

    /// <summary>
    /// Plan the next step while the workers run the current one, so planning and the bus round trip are off their
    /// critical path. Used only when one worker serves the whole model (it feeds its own sampled tokens back);
    /// with pipeline stages or tensor parallel ranks the scheduler keeps one step in flight.
    /// </summary>
    public bool AsyncScheduling { get; set; } = true;

    public SchedulingPolicy Policy { get; set; } = SchedulingPolicy.Fcfs;

    /// <summary>Detokenizer shards requests are spread over (must match the detokenizers' setting).</summary>
    public int DetokShards { get; set; } = 1;

    /// <summary>Waiting sequences beyond which new requests are refused as overloaded.</summary>
    public int MaxWaiting { get; set; } = 4096;

    /// <summary>Fraction of the KV blocks kept free when admitting, so running sequences can grow without thrashing.</summary>
    public double Watermark { get; set; } = 0.01;

    /// <summary>A worker silent this long is considered dead.</summary>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A step whose result has not come back by then fails the replica's in-flight requests.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long requests wait for workers before they fail with NO_WORKERS.</summary>
    public TimeSpan NoWorkersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Period of the <c>SchedulerStatus</c> message.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Period of the one-line status log.</summary>
    public TimeSpan StatusLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Period of the housekeeping tick (timeouts, deadlines).</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
