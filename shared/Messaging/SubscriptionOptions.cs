namespace LlmServe.Messaging;

/// <summary>Per-subscription delivery settings.</summary>
public sealed record SubscriptionOptions
{
    /// <summary>Capacity of the subscription's channel; when full, new messages are dropped and counted (slow consumer).</summary>
    public int Capacity { get; init; } = 65_536;

    public static SubscriptionOptions Default { get; } = new();
}
