using System.ComponentModel.DataAnnotations;

namespace LlmServe.Detokenizer;

/// <summary>Configuration section "Detokenizer".</summary>
public sealed class DetokenizerOptions : IValidatableObject
{
    public const string SectionName = "Detokenizer";

    [Required(ErrorMessage = "Detokenizer:Model (the served model name) is required.")]
    public string Model { get; set; } = string.Empty;

    [Required(ErrorMessage = "Detokenizer:ModelDirectory is required.")]
    public string ModelDirectory { get; set; } = string.Empty;

    /// <summary>Which shard of the requests this replica owns (requests are sharded by id).</summary>
    [Range(0, 1023)]
    public int Shard { get; set; }

    /// <summary>Number of shards; must equal the scheduler's Scheduler:DetokShards.</summary>
    [Range(1, 1024)]
    public int ShardCount { get; set; } = 1;

    /// <summary>A request with no token delta for this long is dropped (its scheduler is gone).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Period of the <c>ServiceHeartbeat</c> this shard publishes (also once at start).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00", ErrorMessage = "Detokenizer:HeartbeatInterval must be between 50 ms and 5 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Shard >= ShardCount)
        {
            yield return new ValidationResult($"Detokenizer:Shard {Shard} must be below Detokenizer:ShardCount {ShardCount}.");
        }
        if (IdleTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Detokenizer:IdleTimeout must be positive.");
        }
    }
}
