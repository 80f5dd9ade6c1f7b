using System.ComponentModel.DataAnnotations;

namespace LlmServe.Worker;

/// <summary>Configuration section "Worker": which model, which stage of which replica, and the step shapes.</summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string SectionName = "Worker";

    [Required(ErrorMessage = "Worker:Model (the served model name) is required.")]
    public string Model { get; set; } = string.Empty;

    [Required(ErrorMessage = "Worker:ModelDirectory is required.")]
    public string ModelDirectory { get; set; } = string.Empty;

    /// <summary>The scheduler replica this worker serves.</summary>
    [Required]
    public string ReplicaId { get; set; } = "0";

    /// <summary>Unique id of this worker process; empty = generated.</summary>
    public string? WorkerId { get; set; }

    /// <summary>cpu, cuda or auto (cuda when available).</summary>
    [RegularExpression("^(cpu|cuda|auto)$", ErrorMessage = "Worker:Device must be cpu, cuda or auto.")]
    public string Device { get; set; } = "cpu";

    public int DeviceIndex { get; set; }

    /// <summary>This worker's pipeline stage (0-based) and the number of stages.</summary>
    [Range(0, 63)]
    public int StageIndex { get; set; }

    [Range(1, 64)]
    public int StageCount { get; set; } = 1;

    /// <summary>Optional explicit split: layers per stage, comma-separated (e.g. "10,6"); empty splits evenly.</summary>
    public string? LayerSplit { get; set; }

    /// <summary>KV blocks this stage allocates; 0 sizes the cache from <see cref="KvCacheMemoryMiB"/>.</summary>
    [Range(0, 10_000_000)]
    public int KvCacheBlocks { get; set; }

    /// <summary>Memory for the KV cache when <see cref="KvCacheBlocks"/> is 0 (CPU backend; GPU uses memory utilization).</summary>
    [Range(1, 1_000_000)]
    public int KvCacheMemoryMiB { get; set; } = 256;

    /// <summary>GPU backend: fraction of the card's memory the worker may fill (weights, activations, KV cache).</summary>
    [Range(0.05, 0.99)]
    public double GpuMemoryUtilization { get; set; } = 0.9;

    [Range(1, 256)]
    public int BlockSize { get; set; } = 16;

    /// <summary>Most tokens in one step; must be at least the scheduler's max_num_batched_tokens.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchTokens { get; set; } = 2048;

    /// <summary>Most sequences in one step; at least the scheduler's max_num_seqs.</summary>
    [Range(1, 100_000)]
    public int MaxSeqs { get; set; } = 256;

    /// <summary>0 = the model's own limit.</summary>
    [Range(0, 10_000_000)]
    public int MaxModelLen { get; set; }

    /// <summary>CPU threads for the CPU backend (0 = all cores).</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the stage logs what its steps did (steps, decode rows, chunk tokens, share of the time spent executing);
    /// zero turns the report off. Windows without steps log nothing.
    /// </summary>
    public TimeSpan StepStatisticsInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a later stage waits for the previous stage's activations of a step.</summary>
    public TimeSpan StageInputTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (StageIndex >= StageCount)
        {
            yield return new ValidationResult($"Worker:StageIndex {StageIndex} must be below Worker:StageCount {StageCount}.");
        }
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Worker:HeartbeatInterval must be positive.");
        }
        if (StepStatisticsInterval < TimeSpan.Zero)
        {
            yield return new ValidationResult("Worker:StepStatisticsInterval must be zero (off) or positive.");
        }
        if (!string.IsNullOrWhiteSpace(LayerSplit))
        {
            var parts = LayerSplit.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length != StageCount || parts.Any(p => !int.TryParse(p, out int n) || n < 1))
            {
                yield return new ValidationResult($"Worker:LayerSplit '{LayerSplit}' must list {StageCount} positive layer counts.");
            }
        }
    }
}
