namespace LlmServe.Inference.Backends;

/// <summary>Options every backend factory receives.</summary>
public sealed record BackendOptions
{
    /// <summary>Device ordinal for GPU backends.</summary>
    public int DeviceIndex { get; init; }

    /// <summary>CPU worker threads (0 = all cores).</summary>
    public int Threads { get; init; }
}
