using System.ComponentModel.DataAnnotations;

namespace LlmServe.Tokenizer;

/// <summary>Configuration section "Tokenizer".</summary>
public sealed class TokenizerServiceOptions
{
    public const string SectionName = "Tokenizer";

    /// <summary>The served model name clients put in "model"; subjects are derived from it.</summary>
    [Required(ErrorMessage = "Tokenizer:Model (the served model name) is required.")]
    public string Model { get; set; } = string.Empty;

    /// <summary>Hugging Face model directory holding tokenizer.json, tokenizer_config.json and config.json.</summary>
    [Required(ErrorMessage = "Tokenizer:ModelDirectory is required.")]
    public string ModelDirectory { get; set; } = string.Empty;

    /// <summary>Context limit; 0 takes max_position_embeddings from config.json.</summary>
    [Range(0, 10_000_000)]
    public int MaxModelLen { get; set; }

    /// <summary>Requests encoded at once by this replica.</summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Period of the <c>ServiceHeartbeat</c> this replica publishes (also once at start).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00", ErrorMessage = "Tokenizer:HeartbeatInterval must be between 50 ms and 5 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);
}
