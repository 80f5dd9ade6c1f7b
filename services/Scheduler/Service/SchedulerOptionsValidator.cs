using LlmServe.Scheduler.KvCache;
using Microsoft.Extensions.Options;

namespace LlmServe.Scheduler.Service;

/// <summary>Start-up validation of <see cref="SchedulerOptions"/>: every failure named at once.</summary>
public sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            failures.Add("Scheduler:Model is required.");
        }
        if (string.IsNullOrWhiteSpace(options.ReplicaId))
        {
            failures.Add("Scheduler:ReplicaId is required.");
        }
        Positive(failures, options.MaxNumSeqs, nameof(options.MaxNumSeqs));
        Positive(failures, options.MaxNumBatchedTokens, nameof(options.MaxNumBatchedTokens));
        Positive(failures, options.DetokShards, nameof(options.DetokShards));
        Positive(failures, options.MaxWaiting, nameof(options.MaxWaiting));
        if (options.BlockSize < 0 || options.BlockSize > BlockHash.MaxBlockSize)
        {
            failures.Add($"Scheduler:BlockSize must be 0 (take the workers') or 1..{BlockHash.MaxBlockSize}.");
        }
        if (options.MaxModelLen < 0)
        {
            failures.Add("Scheduler:MaxModelLen must not be negative.");
        }
        if (options.NumKvBlocksOverride < 0)
        {
            failures.Add("Scheduler:NumKvBlocksOverride must not be negative.");
        }
        if (options.Watermark is < 0 or >= 0.5 || double.IsNaN(options.Watermark))
        {
            failures.Add("Scheduler:Watermark must be in [0, 0.5).");
        }
        Positive(failures, options.WorkerTimeout, nameof(options.WorkerTimeout));
        Positive(failures, options.StepTimeout, nameof(options.StepTimeout));
        Positive(failures, options.NoWorkersTimeout, nameof(options.NoWorkersTimeout));
        Positive(failures, options.StatusInterval, nameof(options.StatusInterval));
        Positive(failures, options.StatusLogInterval, nameof(options.StatusLogInterval));
        Positive(failures, options.TickInterval, nameof(options.TickInterval));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, int value, string name)
    {
        if (value < 1)
        {
            failures.Add($"Scheduler:{name} must be at least 1.");
        }
    }

    private static void Positive(List<string> failures, TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Scheduler:{name} must be positive.");
        }
    }
}
