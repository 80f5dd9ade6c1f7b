using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Cpu;

/// <summary>CPU paged KV cache: per layer one K and one V array laid out [slot][kv head][head dim].</summary>
public sealed class CpuKvCache : BackendKvCache
{
    public CpuKvCache(KvCacheSpec spec)
        : base(spec)
    {
        SlotWidth = spec.NumKvHeads * spec.HeadDim;
        long perLayer = spec.NumSlots * SlotWidth;
        if (perLayer > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), $"a CPU KV pool of {perLayer} floats per layer is too large");
        }

        Keys = new float[spec.NumLayers][];
        Values = new float[spec.NumLayers][];
        for (int l = 0; l < spec.NumLayers; l++)
        {
            Keys[l] = new float[perLayer];
            Values[l] = new float[perLayer];
        }
    }

    /// <summary>Floats per slot (NumKvHeads × HeadDim).</summary>
    public int SlotWidth { get; }

    internal float[][] Keys { get; }

    internal float[][] Values { get; }
}
