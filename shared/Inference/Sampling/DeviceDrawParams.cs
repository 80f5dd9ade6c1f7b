using System.Runtime.InteropServices;

namespace LlmServe.Inference.Sampling;

/// <summary>
/// One row's draw for a backend that samples where the logits live (<see cref="Backends.IDeviceSampler"/>), laid out
/// as the CUDA kernel reads it (32 bytes). <see cref="DeviceDraw"/> defines the token it picks.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
public readonly record struct DeviceDrawParams
{
    /// <summary>The sequence's random stream (its request seed, or a random one).</summary>
    public ulong Seed { get; init; }

    /// <summary>The step within the stream: tokens the sequence generated before this one.</summary>
    public long Step { get; init; }

    /// <summary>1 / temperature; 0 picks the arg-max (lowest index on ties).</summary>
    public float InverseTemperature { get; init; }

    /// <summary>Keep the tokens whose logit is at least the k-th largest; 0 (or ≥ the vocabulary) = off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest top set whose weight reaches this share of the top-k set's; 1 = off.</summary>
    public float TopP { get; init; }

    /// <summary>Keep tokens whose weight is at least this share of the most likely token's; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>The arg-max of the row.</summary>
    public static DeviceDrawParams Greedy { get; } = new() { TopP = 1 };
}
