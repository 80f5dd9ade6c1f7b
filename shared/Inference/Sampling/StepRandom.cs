namespace LlmServe.Inference.Sampling;

/// <summary>
/// Counter-based random numbers: the draw for a step is a pure function of (seed, step), so a sequence
/// produces the same tokens whatever batch it runs in and after preemption and resume.
/// </summary>
internal static class StepRandom
{
    /// <summary>A uniform number in [0, 1) for the given step of the stream named by <paramref name="seed"/>.</summary>
    public static double Uniform(ulong seed, long step)
    {
        ulong z = Mix(seed ^ Mix(unchecked((ulong)step + 0x9E3779B97F4A7C15UL)));
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    // SplitMix64's finalizer: a bijective avalanche mix of 64 bits.
    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
