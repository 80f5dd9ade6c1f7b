using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Kernels;

// The persistent single-token decode kernel (decode_layers.cu): sizing and launch.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>Threads of a persistent decode CTA (DL_THREADS: 8 warps).</summary>
    public const int PersistentDecodeThreads = 256;

    /// <summary>Most q heads a KV head may have (DL_GMAX).</summary>
    public const int PersistentDecodeMaxGroup = 8;

    /// <summary>Bytes of one weight slot (DL_CHUNK bf16 elements).</summary>
    public const int PersistentDecodeSlotBytes = 4096;

    private const int PersistentDecodeWarps = PersistentDecodeThreads / 32;

    // DL_MAX_PARTITIONS: the merge keeps two floats a partition and head in the warps' scratch.
    private const int PersistentDecodeMaxPartitions = 128;
    private const int PersistentDecodeMaxSlots = 8;

    // Fewer slots than this keep too little in flight across a barrier to be worth a launch.
    private const int PersistentDecodeMinSlots = 2;

    // Static shared memory of the kernel (is_last) with room to spare.
    private const int PersistentDecodeStaticBytes = 256;

    private readonly Dictionary<int, CudaFunction> _decodeLayers = [];

    /// <summary>
    /// Bench-only timing knobs (decode_layers.cu DL_NO_*): 1 leaves attention out, 2 the grid barriers, 4 the GEMV
    /// math. Any of them makes the output wrong; 0 in production.
    /// </summary>
    public int PersistentDecodeTimingFlags { get; set; }

    /// <summary>Head sizes of the persistent decode kernel.</summary>
    public static IReadOnlyList<int> PersistentDecodeHeadDims { get; } = [64, 128];

    /// <summary>
    /// Bytes of the kernel's x region: the widest GEMV input (hidden, q width or intermediate, bf16) or the attention
    /// scratch that shares it (q, the 8 warps' partial sums and their (max, sum) pairs, fp32).
    /// </summary>
    public static int PersistentDecodeXBytes(int hidden, int intermediate, int heads, int kvHeads, int headDim)
    {
        int g = heads / kvHeads;
        long x = 2L * Math.Max(hidden, Math.Max(intermediate, heads * headDim));
        long attention = 4L * ((g * headDim) + (PersistentDecodeWarps * g * headDim) + (PersistentDecodeWarps * g * 2));
        return (int)((Math.Max(x, attention) + 15) / 16 * 16);
    }

    /// <summary>Dynamic shared memory of a CTA with <paramref name="slots"/> slots a warp.</summary>
    public static int PersistentDecodeSharedBytes(int slots, int xBytes, int hidden) =>
        (PersistentDecodeWarps * slots * (PersistentDecodeSlotBytes + 8)) + xBytes + (2 * hidden) + (32 * 4);

    /// <summary>
    /// The launch plan for a model shape on this GPU, or null when the kernel does not take it: head size not 64/128,
    /// more than <see cref="PersistentDecodeMaxGroup"/> q heads a KV head, widths not multiples of 8, or too little
    /// shared memory for <see cref="PersistentDecodeMinSlots"/> slots a warp.
    /// </summary>
    public PersistentDecodePlan? PlanPersistentDecode(int hidden, int intermediate, int heads, int kvHeads, int headDim, int maxSharedPerBlock)
    {
        if (!PersistentDecodeHeadDims.Contains(headDim) || kvHeads < 1 || heads % kvHeads != 0 ||
            heads / kvHeads > PersistentDecodeMaxGroup || hidden % 8 != 0 || intermediate % 8 != 0 || hidden < 8 || intermediate < 8)
        {
            return null;
        }

        int xBytes = PersistentDecodeXBytes(hidden, intermediate, heads, kvHeads, headDim);
        int fixedBytes = PersistentDecodeSharedBytes(0, xBytes, hidden) + PersistentDecodeStaticBytes;
        int slots = Math.Min(PersistentDecodeMaxSlots, (maxSharedPerBlock - fixedBytes) / (PersistentDecodeWarps * (PersistentDecodeSlotBytes + 8)));
        if (slots < PersistentDecodeMinSlots)
        {
            return null;
        }

        int bytes = PersistentDecodeSharedBytes(slots, xBytes, hidden);
        if (!_decodeLayers.TryGetValue(headDim, out var fn))
        {
            fn = Function($"decode_layers_d{headDim}");
            _decodeLayers[headDim] = fn;
        }

        fn.SetMaxDynamicSharedMemory(bytes);
        if (fn.MaxActiveBlocksPerMultiprocessor(PersistentDecodeThreads, bytes) < 1)
        {
            return null;
        }

        return new PersistentDecodePlan(headDim, slots, xBytes, bytes, _sms, Math.Clamp(_sms / kvHeads, 1, PersistentDecodeMaxPartitions));
    }

    /// <summary>Partial-sum scratch (floats) and barrier words (bytes) of a plan: accumulators, (max, sum) pairs, sync.</summary>
    public static (long AccFloats, long MlFloats, long SyncBytes) PersistentDecodeScratch(PersistentDecodePlan plan, int heads, int kvHeads)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long acc = (long)heads * plan.Partitions * plan.HeadDim;
        long ml = (long)heads * plan.Partitions * 2;
        long sync = 4L * (64 + (32 * kvHeads));   // arrivals, CTAs done, one counter per KV head, 128 bytes apart
        return (acc, ml, sync);
    }

    /// <summary>Every decoder layer of a one-token decode step in one launch (see decode_layers.cu).</summary>
    public void PersistentDecode(CudaStream s, PersistentDecodePlan plan, in PersistentDecodeArgs args)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var fn = _decodeLayers[plan.HeadDim];
        ulong layers = args.Layers, hidden = args.Hidden, residual = args.Residual, qkv = args.Qkv, attn = args.Attention, act = args.Activated;
        ulong partAcc = args.PartialAcc, partMl = args.PartialMl, sync = args.Sync, positions = args.Positions, slots = args.Slots;
        ulong tables = args.BlockTables, lens = args.ContextLengths, cosSin = args.CosSin;
        int numLayers = args.NumLayers, holds = args.ResidualHoldsInput ? 1 : 0, h = args.HiddenSize, inter = args.IntermediateSize;
        int hq = args.Heads, hkv = args.KvHeads, bs = args.BlockSize, nslot = plan.Slots, xBytes = plan.XBytes;
        float eps = args.Epsilon, scale = args.Scale;
        int flags = PersistentDecodeTimingFlags;
        void** a = stackalloc void*[26];
        a[0] = &layers; a[1] = &numLayers; a[2] = &holds; a[3] = &hidden; a[4] = &residual; a[5] = &qkv; a[6] = &attn; a[7] = &act;
        a[8] = &partAcc; a[9] = &partMl; a[10] = &sync; a[11] = &positions; a[12] = &slots; a[13] = &tables; a[14] = &lens;
        a[15] = &cosSin; a[16] = &h; a[17] = &inter; a[18] = &hq; a[19] = &hkv; a[20] = &bs; a[21] = &eps; a[22] = &scale;
        a[23] = &nslot; a[24] = &xBytes; a[25] = &flags;
        fn.Launch(s, ((uint)plan.Grid, 1, 1), PersistentDecodeThreads, (uint)plan.SharedBytes, a);
    }
}
