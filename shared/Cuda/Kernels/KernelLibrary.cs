using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Native;
using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Kernels;

/// <summary>
/// Typed launchers for the kernels in Kernels/*.cu. Arguments are device addresses and sizes; each launcher
/// picks the grid and the template instance. Nothing here allocates: arguments go through stack addresses.
/// </summary>
public sealed unsafe partial class KernelLibrary : IDisposable
{
    /// <summary>Context partition of the split-K decode kernel (PARTITION in decode_attention.cu).</summary>
    public const int DecodePartition = DecodePartitionPolicy.Partition;

    private const uint DecodeThreads = 128;
    private const int RopeHeadsPerWarp = 4;   // ROPE_HEADS_PER_WARP in rope_cache.cu
    private const int PrefillTile = 64;
    private const int ArgmaxChunk = 4096;

    private readonly CudaModule _module;
    private readonly CudaFunction _embedding, _addNorm, _silu, _bias, _gather, _rope, _headNorm;
    private readonly CudaFunction _reduce, _argmaxPartial, _argmaxFinal, _sampleRows, _toBf16, _toF32, _f16ToBf16, _fillRandom;
    private readonly Dictionary<(int D, int G), CudaFunction> _decode = [];
    private readonly Dictionary<int, CudaFunction> _decodeTensorCores = [];
    private readonly Dictionary<int, CudaFunction> _prefill = [];
    private readonly Dictionary<int, CudaFunction> _prefillDoubleBuffered = [];
    private readonly Dictionary<(int M, int Split), CudaFunction> _gemv = [];
    private readonly Dictionary<(int M, int Split), CudaFunction> _gemvSilu = [];
    private readonly Dictionary<string, CudaFunction> _all = [];
    private readonly int _sms;
    private readonly bool _programmatic;

    private KernelLibrary(CudaModule module, int sms, bool programmatic)
    {
        _module = module;
        _sms = sms;
        _programmatic = programmatic;
        _embedding = Function("embedding_gather");
        _addNorm = Function("fused_add_rmsnorm");
        _silu = Function("silu_and_mul");
        _bias = Function("bias_add");
        _gather = Function("gather_rows");
        _rope = Function("rope_qk_norm_cache");
        _headNorm = Function("head_rmsnorm");
        _reduce = Function("decode_attention_reduce");
        _argmaxPartial = Function("argmax_partial");
        _sampleRows = Function("sample_rows");
        _argmaxFinal = Function("argmax_final");
        _toBf16 = Function("f32_to_bf16");
        _toF32 = Function("bf16_to_f32");
        _f16ToBf16 = Function("f16_to_bf16");
        _fillRandom = Function("fill_random_bf16");
        foreach (var m in new[] { 1, 2, 4, 8 })
        {
            _gemv[(m, 1)] = Function($"gemv_m{m}");
            _gemv[(m, 2)] = Function($"gemv_m{m}_s2");
            _gemvSilu[(m, 1)] = Function($"gemv_silu_m{m}");
            _gemvSilu[(m, 2)] = Function($"gemv_silu_m{m}_s2");
        }

        foreach (var d in SupportedHeadDims)
        {
            foreach (var g in new[] { 1, 2, 4, 8, 16 })
            {
                if (d == 256 && g == 16)
                {
                    continue;
                }

                var fn = Function($"decode_attention_d{d}_g{g}");
                fn.SetMaxDynamicSharedMemory(DecodeSharedBytes(d, g));
                _decode[(d, g)] = fn;
            }

            if (TensorCoreDecodeHeadDims.Contains(d))
            {
                var tc = Function($"decode_attention_tc_d{d}");
                tc.SetMaxDynamicSharedMemory(DecodeTensorCoreSharedBytes(d, 16));
                _decodeTensorCores[d] = tc;
            }

            var pf = Function($"prefill_attention_d{d}");
            pf.SetMaxDynamicSharedMemory(PrefillSharedBytes(d));
            _prefill[d] = pf;
            if (DoubleBufferedPrefillHeadDims.Contains(d))
            {
                var pipe = Function($"prefill_attention_pipe_d{d}");
                pipe.SetMaxDynamicSharedMemory(2 * PrefillSharedBytes(d));
                _prefillDoubleBuffered[d] = pipe;
            }
        }
    }

    // Head sizes of the tensor-core decode kernel (its fp32 output tiles take D / 2 registers a thread).
    private static readonly int[] TensorCoreDecodeHeadDims = [64, 128];

    // Head sizes of the double-buffered prefill kernel (prefill_attention_pipe_d*; two K/V tiles must fit shared memory).
    private static readonly int[] DoubleBufferedPrefillHeadDims = [64, 128];

    /// <summary>
    /// Whether grouped-query decode attention runs on tensor cores (the G query heads of a KV head as the rows of an
    /// MMA) where the head size allows; false forces the CUDA-core kernel (for the bench's A/B).
    /// </summary>
    public bool DecodeOnTensorCores { get; set; } = true;

    /// <summary>
    /// Whether prefill attention double-buffers its K/V tiles (cp.async copies of the next tile during this one's MMAs)
    /// where the head size has that kernel (64, 128): the default since run 20 (2048-token causal prefill 224 → 181 µs
    /// a layer on the H200); false runs the single-buffered kernel (the bench's A/B, and head sizes 16, 32, 256).
    /// </summary>
    public bool PrefillDoubleBuffered { get; set; } = true;

    /// <summary>Head sizes with attention kernels.</summary>
    public static IReadOnlyList<int> SupportedHeadDims { get; } = [16, 32, 64, 128, 256];

    /// <summary>Whether the last <see cref="Load"/> came from the disk cache.</summary>
    public bool FromCache { get; private init; }

    /// <summary>Whether kernels launch with programmatic dependent launch (sm_90+, unless turned off).</summary>
    public bool ProgrammaticLaunch => _programmatic;

    /// <summary>
    /// Compiles (or takes from <paramref name="cache"/>) the kernels for the context's GPU and loads them. On sm_90+
    /// every kernel launches programmatically (it may start under the previous kernel's tail and waits for it itself)
    /// unless <paramref name="programmaticLaunch"/> is false.
    /// </summary>
    public static KernelLibrary Load(CudaContext context, NvrtcCompiler compiler, KernelCache cache, bool programmaticLaunch = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        var builder = new KernelModuleBuilder(compiler, cache);
        var image = builder.Build(context.Info.Arch);
        bool programmatic = programmaticLaunch && context.Info.ComputeMajor >= 9;
        return new KernelLibrary(CudaModule.Load(context, image), context.Info.MultiprocessorCount, programmatic) { FromCache = builder.LastWasCached };
    }

    // Every kernel in the module is written for programmatic launch (see common.cuh).
    private CudaFunction Function(string name)
    {
        var fn = _module.GetFunction(name).WithProgrammaticLaunch(_programmatic);
        _all[name] = fn;
        return fn;
    }

    /// <summary>"name: R regs, S B static smem, L B local; N CTAs/SM at T threads": what bounds a kernel's occupancy.</summary>
    public string Occupancy(string kernel, int threads, int dynamicSharedBytes)
    {
        var fn = _all[kernel];
        var (regs, smem, local) = fn.Resources();
        return $"{kernel}: {regs} regs, {smem} B static smem, {local} B local; {fn.MaxActiveBlocksPerMultiprocessor(threads, dynamicSharedBytes)} CTAs/SM at {threads} threads + {dynamicSharedBytes} B dynamic smem";
    }

    /// <summary>Dynamic shared memory of the prefill kernel for head size <paramref name="d"/>.</summary>
    public static int PrefillSharedMemory(int d) => PrefillSharedBytes(d);

    /// <summary>Number of decode partitions for a context of <paramref name="maxContext"/> tokens.</summary>
    public static int DecodeSplits(int maxContext) => Math.Max(1, (maxContext + DecodePartition - 1) / DecodePartition);

    /// <summary>
    /// Partition length and count of a decode launch (<see cref="DecodePartitionPolicy"/>): short partitions for a
    /// small batch, and on the tensor-core kernel few long ones for a large batch.
    /// </summary>
    public (int Partition, int Count) DecodePartitioning(int seqs, int heads, int kvHeads, int headDim, int blockSize, int splits) =>
        DecodePartitionPolicy.Choose(_sms, seqs, kvHeads, splits,
            DecodeUsesTensorCores(heads, kvHeads, headDim) && blockSize >= DecodePartitionPolicy.LongPartitionMinBlockSize);

    /// <summary>Whether a decode launch of this head layout runs the tensor-core kernel.</summary>
    public bool DecodeUsesTensorCores(int heads, int kvHeads, int headDim) =>
        DecodeOnTensorCores && heads / kvHeads >= 2 && _decodeTensorCores.ContainsKey(headDim);

    /// <summary>Bytes of split-K scratch a decode launch needs (0 when it writes its output directly).</summary>
    public long DecodeScratchBytes(int seqs, int heads, int kvHeads, int headDim, int blockSize, int splits)
    {
        int count = DecodePartitioning(seqs, heads, kvHeads, headDim, blockSize, splits).Count;
        return count == 1 ? 0 : (4L * seqs * heads * count * headDim) + (4L * seqs * heads * count * 2);
    }

    private static int GroupBucket(int g) => g <= 1 ? 1 : g <= 2 ? 2 : g <= 4 ? 4 : g <= 8 ? 8 : 16;

    // q [G][D], per-warp Σ p·v [4][G][D] and per-warp (max, sum) [4][G][2], fp32.
    private static int DecodeSharedBytes(int d, int gmax) => 4 * ((gmax * d) + (4 * gmax * d) + (8 * gmax));

    // A partition's K and V (d + 8 bf16 a row), reused at the end for the warps' merge ([4][G][D] + [4][G][2] fp32).
    private static int DecodeTensorCoreSharedBytes(int d, int gmax) => Math.Max(2 * DecodePartition * (d + 8) * 2, 4 * ((4 * gmax * d) + (8 * gmax)));

    // A K tile and a V tile of 64 keys, d + 8 bf16 each.
    private static int PrefillSharedBytes(int d) => 2 * PrefillTile * (d + 8) * 2;

    /// <summary>Validates a head layout before any launch: clear error instead of a wild kernel.</summary>
    public static void CheckAttentionShape(int heads, int kvHeads, int headDim)
    {
        if (!SupportedHeadDims.Contains(headDim))
        {
            throw new NotSupportedException($"head_dim {headDim} has no CUDA attention kernel (supported: {string.Join(", ", SupportedHeadDims)})");
        }

        if (kvHeads < 1 || heads % kvHeads != 0 || heads / kvHeads > (headDim == 256 ? 8 : 16))
        {
            throw new NotSupportedException($"{heads} query heads over {kvHeads} KV heads is not a supported grouping");
        }
    }

    /// <summary>The attention kernels address the paged cache with shifts: block sizes must be powers of two up to 256.</summary>
    public static void CheckBlockSize(int blockSize)
    {
        if (blockSize < 1 || blockSize > 256 || !System.Numerics.BitOperations.IsPow2(blockSize))
        {
            throw new NotSupportedException($"KV cache block size {blockSize} is not supported by the CUDA backend (a power of two from 1 to 256)");
        }
    }

    /// <summary>Largest row count the skinny GEMM handles; above it cuBLASLt's tensor-core kernels win.</summary>
    public const int GemvMaxRows = 8;

    /// <summary>
    /// Warps that share one weight row of the skinny GEMM: 2 for matrices under 8192 rows with rows of 1024+ elements
    /// (one warp a row leaves too few warps per SM to cover memory latency: down_proj 36.0 → 29.1 µs on the H200),
    /// else 1.
    /// </summary>
    public static int GemvSplit(int n, int k) => n < 8192 && k >= 1024 ? 2 : 1;

    /// <summary>y[M×N] = x[M×K]·w[N×K]ᵀ (+bias) for M ≤ <see cref="GemvMaxRows"/>, bound by reading w once.</summary>
    public void Gemv(CudaStream s, ulong x, ulong w, ulong bias, ulong y, int m, int n, int k, bool outputF32)
    {
        int split = GemvSplit(n, k);
        LaunchGemv(s, _gemv[(GemvBucket(m), split)], 8 / split, x, w, bias, y, m, n, k, outputF32 ? 1 : 0);
    }

    /// <summary>
    /// y[M×width] = silu(g)·u where [g | u] = x·gateUpᵀ (gateUp has 2·width rows), M ≤ <see cref="GemvMaxRows"/>: the
    /// GEMV and SiLU-and-mul in one kernel, bit-identical to <see cref="Gemv"/> then <see cref="SiluAndMul"/>.
    /// </summary>
    public void GemvSiluAndMul(CudaStream s, ulong x, ulong gateUp, ulong y, int m, int width, int k)
    {
        // Each of [gate | up]'s rows split as the unfused GEMV would split that matrix, so the sums are the same.
        int split = GemvSplit(2 * width, k);
        LaunchGemv(s, _gemvSilu[(GemvBucket(m), split)], 4 / split, x, gateUp, 0, y, m, width, k, 0);
    }

    private static int GemvBucket(int m) => m <= 1 ? 1 : m <= 2 ? 2 : m <= 4 ? 4 : 8;

    /// <summary>Most 16-byte weight loads a GEMV lane issues before its grid wait.</summary>
    public const int GemvPrefetchMax = 6;

    /// <summary>The default of <see cref="GemvPrefetch"/>: the best of 0, 3 and 6 on the H200 (run 38: 4.33 → 4.25 ms a token; 6 gave 4.39).</summary>
    public const int GemvPrefetchDefault = 3;

    /// <summary>
    /// 16-byte weight loads each lane of a one-row GEMV issues before it waits for the previous kernel (0 to
    /// <see cref="GemvPrefetchMax"/>): with programmatic dependent launch the GEMV then streams weights while a
    /// latency-bound norm, RoPE or attention kernel still runs. The result is the same bit for bit at every value.
    /// Steps of 2+ rows never prefetch: their GEMVs are slower with it (run 38: batch 8 10.6 → 14.6 ms).
    /// </summary>
    public int GemvPrefetch
    {
        get => _gemvPrefetch;
        set => _gemvPrefetch = value is >= 0 and <= GemvPrefetchMax
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"GEMV prefetch is 0 to {GemvPrefetchMax} loads a lane");
    }

    private int _gemvPrefetch = GemvPrefetchDefault;

    /// <summary>
    /// Whether the norm, RoPE and split-K merge kernels let the next kernel launch before they wait for the previous
    /// one (llmserve_early_trigger in common.cuh), so a GEMV after them starts staging weights sooner. Default on.
    /// </summary>
    public bool EarlyTrigger
    {
        get => _earlyTrigger;
        set
        {
            var (address, bytes) = _module.GetGlobal("llmserve_early_trigger");
            if (bytes != sizeof(int))
            {
                throw new InvalidOperationException($"llmserve_early_trigger is {bytes} bytes, not {sizeof(int)}");
            }

            int flag = value ? 1 : 0;
            CuDriver.Check(CuDriver.cuMemcpyHtoD(address, &flag, sizeof(int)));
            _earlyTrigger = value;
        }
    }

    private bool _earlyTrigger = true;

    private void LaunchGemv(CudaStream s, CudaFunction fn, int rowsPerCta, ulong x, ulong w, ulong bias, ulong y, int m, int n, int k, int f32)
    {
        int prefetch = _programmatic && m == 1 ? _gemvPrefetch : 0;
        void** a = stackalloc void*[9];
        a[0] = &x; a[1] = &w; a[2] = &bias; a[3] = &y; a[4] = &m; a[5] = &n; a[6] = &k; a[7] = &f32; a[8] = &prefetch;
        fn.Launch(s, ((uint)((n + rowsPerCta - 1) / rowsPerCta), 1, 1), 256, (uint)(prefetch * GemvStagingBytesPerLoad), a);
    }

    /// <summary>Shared memory a GEMV CTA stages per weight load a lane issues before its grid wait (8 warps × 32 lanes × 16 B).</summary>
    public const int GemvStagingBytesPerLoad = 8 * 32 * 16;

    public void Embedding(CudaStream s, ulong table, ulong ids, ulong output, int tokens, int hidden, int vocab)
    {
        void** a = stackalloc void*[5];
        a[0] = &table; a[1] = &ids; a[2] = &output; a[3] = &hidden; a[4] = &vocab;
        _embedding.Launch(s, ((uint)tokens, 1, 1), 256, 0, a);
    }

    /// <summary>With <paramref name="residual"/> = 0: plain RMSNorm of x. Else residual += x, out = norm(residual).</summary>
    public void AddRmsNorm(CudaStream s, ulong x, ulong residual, ulong weight, ulong output, int rows, int hidden, float eps)
    {
        int add = residual != 0 ? 1 : 0;
        void** a = stackalloc void*[7];
        a[0] = &x; a[1] = &residual; a[2] = &weight; a[3] = &output; a[4] = &hidden; a[5] = &eps; a[6] = &add;
        _addNorm.Launch(s, ((uint)rows, 1, 1), hidden >= 4096 ? 512u : 256u, 0, a);
    }

    public void SiluAndMul(CudaStream s, ulong gateUp, ulong output, int rows, int width)
    {
        void** a = stackalloc void*[4];
        a[0] = &gateUp; a[1] = &output; a[2] = &width; a[3] = &rows;
        _silu.Launch(s, (GridFor((long)rows * width / 8), 1, 1), 256, 0, a);
    }

    public void BiasAdd(CudaStream s, ulong x, ulong bias, int rows, int n)
    {
        void** a = stackalloc void*[4];
        a[0] = &x; a[1] = &bias; a[2] = &n; a[3] = &rows;
        _bias.Launch(s, (GridFor((long)rows * n), 1, 1), 256, 0, a);
    }

    public void GatherRows(CudaStream s, ulong input, ulong rowIndices, ulong output, int rows, int hidden)
    {
        void** a = stackalloc void*[4];
        a[0] = &input; a[1] = &rowIndices; a[2] = &output; a[3] = &hidden;
        _gather.Launch(s, ((uint)rows, 1, 1), 256, 0, a);
    }

    /// <summary>RoPE on q and k of the fused QKV rows (optionally after q/k head norms), K and V into the cache.</summary>
    public void RopeAndCache(CudaStream s, ulong qkv, ulong positions, ulong cosSin, ulong slots, ulong kCache, ulong vCache,
                             ulong qNorm, ulong kNorm, int tokens, int heads, int kvHeads, int headDim, int blockSize, float eps)
    {
        void** a = stackalloc void*[15];
        a[0] = &qkv; a[1] = &positions; a[2] = &cosSin; a[3] = &slots; a[4] = &kCache; a[5] = &vCache; a[6] = &qNorm; a[7] = &kNorm;
        a[8] = &heads; a[9] = &kvHeads; a[10] = &headDim; a[11] = &blockSize; a[12] = &eps;
        // 4 warps a CTA, RopeHeadsPerWarp heads a warp.
        _rope.Launch(s, ((uint)((heads + (2 * kvHeads) + (4 * RopeHeadsPerWarp) - 1) / (4 * RopeHeadsPerWarp)), (uint)tokens, 1), 128, 0, a);
    }

    public void HeadRmsNorm(CudaStream s, ulong x, int rowStride, int firstColumn, int heads, int headDim, ulong weight, float eps, int rows)
    {
        void** a = stackalloc void*[7];
        a[0] = &x; a[1] = &rowStride; a[2] = &firstColumn; a[3] = &heads; a[4] = &headDim; a[5] = &weight; a[6] = &eps;
        _headNorm.Launch(s, ((uint)((heads + 3) / 4), (uint)rows, 1), 128, 0, a);
    }

    /// <summary>
    /// Decode attention for <paramref name="seqs"/> single-token queries whose contexts fit <paramref name="splits"/>
    /// full-size partitions. When the launch splits contexts (<see cref="DecodeScratchBytes"/> &gt; 0) the scratch at
    /// <paramref name="partialAcc"/> (fp32 [seqs·heads·count·headDim]) and <paramref name="partialMl"/> ([seqs·heads·count·2])
    /// takes the partitions and a reduce kernel writes <paramref name="output"/>.
    /// </summary>
    public void DecodeAttention(CudaStream s, ulong q, int qStride, ulong output, ulong partialAcc, ulong partialMl,
                                ulong kCache, ulong vCache, ulong blockTables, int maxBlocks, ulong contextLens,
                                int seqs, int heads, int kvHeads, int headDim, int blockSize, float scale, int splits)
    {
        var g = heads / kvHeads;
        bool tensorCores = DecodeUsesTensorCores(heads, kvHeads, headDim);
        var fn = tensorCores ? _decodeTensorCores[headDim] : _decode[(headDim, GroupBucket(g))];
        uint smem = (uint)(tensorCores ? DecodeTensorCoreSharedBytes(headDim, g) : DecodeSharedBytes(headDim, GroupBucket(g)));
        var (partition, count) = DecodePartitioning(seqs, heads, kvHeads, headDim, blockSize, splits);
        void** a = stackalloc void*[15];
        a[0] = &q; a[1] = &qStride; a[2] = &output; a[3] = &partialAcc; a[4] = &partialMl; a[5] = &kCache; a[6] = &vCache;
        a[7] = &blockTables; a[8] = &maxBlocks; a[9] = &contextLens; a[10] = &heads; a[11] = &kvHeads; a[12] = &blockSize; a[13] = &scale;
        a[14] = &partition;
        fn.Launch(s, ((uint)seqs, (uint)kvHeads, (uint)count), DecodeThreads, smem, a);
        if (count > 1)
        {
            void** r = stackalloc void*[8];
            r[0] = &partialAcc; r[1] = &partialMl; r[2] = &contextLens; r[3] = &output; r[4] = &heads; r[5] = &headDim; r[6] = &count;
            r[7] = &partition;
            _reduce.Launch(s, ((uint)seqs, (uint)heads, 1), (uint)Math.Min(headDim, 256), 0, r);
        }
    }

    /// <summary>Prefill / chunked-prefill / mixed attention over the paged cache (any query lengths).</summary>
    public void PrefillAttention(CudaStream s, ulong q, int qStride, ulong output, ulong kCache, ulong vCache, ulong blockTables,
                                 int maxBlocks, ulong queryStarts, ulong contextLens, int seqs, int maxQueryLength,
                                 int heads, int kvHeads, int headDim, int blockSize, float scale)
    {
        bool pipe = PrefillDoubleBuffered && _prefillDoubleBuffered.ContainsKey(headDim);
        var fn = pipe ? _prefillDoubleBuffered[headDim] : _prefill[headDim];
        int smem = (pipe ? 2 : 1) * PrefillSharedBytes(headDim);
        if (TryWgmmaPrefill(headDim, out var wgmma))
        {
            fn = wgmma;
            smem = WgmmaPrefillSharedBytes(headDim);
        }

        void** a = stackalloc void*[13];
        a[0] = &q; a[1] = &qStride; a[2] = &output; a[3] = &kCache; a[4] = &vCache; a[5] = &blockTables; a[6] = &maxBlocks;
        a[7] = &queryStarts; a[8] = &contextLens; a[9] = &heads; a[10] = &kvHeads; a[11] = &blockSize; a[12] = &scale;
        fn.Launch(s, ((uint)heads, (uint)((maxQueryLength + PrefillTile - 1) / PrefillTile), (uint)seqs), 128, (uint)smem, a);
    }

    /// <summary>Vocabulary chunks of the greedy sampler's first pass.</summary>
    public static int ArgmaxChunks(int vocab) => (vocab + ArgmaxChunk - 1) / ArgmaxChunk;

    /// <summary>Greedy tokens and their logprobs for fp32 logits [rows × vocab]; scratch holds 3 × rows × chunks words.</summary>
    /// <summary>Bytes of one row's draw arguments (DrawArgs in sample_rows.cu, DeviceDrawParams on the host).</summary>
    public const int DrawArgsBytes = 32;

    /// <summary>
    /// tokens[r] = the token DeviceDraw picks from fp32 row r of <paramref name="logits"/> with the DrawArgs at
    /// <paramref name="args"/> + 32·r (-1 for a row of only -inf or with a NaN). One 1024-thread CTA a row.
    /// </summary>
    public void SampleRows(CudaStream s, ulong logits, int rows, int vocab, ulong args, ulong tokens)
    {
        void** a = stackalloc void*[4];
        a[0] = &logits; a[1] = &vocab; a[2] = &args; a[3] = &tokens;
        _sampleRows.Launch(s, ((uint)rows, 1, 1), 1024, 0, a);
    }

    public void Argmax(CudaStream s, ulong logits, int rows, int vocab, ulong scratch, ulong tokens, ulong logprobs)
    {
        int chunks = ArgmaxChunks(vocab);
        int chunk = ArgmaxChunk;
        ulong pmax = scratch, pidx = scratch + ((ulong)rows * (ulong)chunks * 4), psum = scratch + ((ulong)rows * (ulong)chunks * 8);
        void** a = stackalloc void*[6];
        a[0] = &logits; a[1] = &vocab; a[2] = &chunk; a[3] = &pmax; a[4] = &pidx; a[5] = &psum;
        _argmaxPartial.Launch(s, ((uint)rows, (uint)chunks, 1), 256, 0, a);
        void** b = stackalloc void*[6];
        b[0] = &pmax; b[1] = &pidx; b[2] = &psum; b[3] = &chunks; b[4] = &tokens; b[5] = &logprobs;
        _argmaxFinal.Launch(s, ((uint)rows, 1, 1), 32, 0, b);
    }

    public void F32ToBf16(CudaStream s, ulong input, ulong output, long n)
    {
        ulong count = (ulong)n;
        void** a = stackalloc void*[3];
        a[0] = &input; a[1] = &output; a[2] = &count;
        _toBf16.Launch(s, (GridFor(n), 1, 1), 256, 0, a);
    }

    public void Bf16ToF32(CudaStream s, ulong input, ulong output, long n)
    {
        ulong count = (ulong)n;
        void** a = stackalloc void*[3];
        a[0] = &input; a[1] = &output; a[2] = &count;
        _toF32.Launch(s, (GridFor(n), 1, 1), 256, 0, a);
    }

    public void F16ToBf16(CudaStream s, ulong input, ulong output, long n)
    {
        ulong count = (ulong)n;
        void** a = stackalloc void*[3];
        a[0] = &input; a[1] = &output; a[2] = &count;
        _f16ToBf16.Launch(s, (GridFor(n), 1, 1), 256, 0, a);
    }

    public void FillRandom(CudaStream s, ulong output, long n, ulong seed, float scale)
    {
        ulong count = (ulong)n;
        void** a = stackalloc void*[4];
        a[0] = &output; a[1] = &count; a[2] = &seed; a[3] = &scale;
        _fillRandom.Launch(s, (GridFor(n), 1, 1), 256, 0, a);
    }

    // Grid-stride kernels: enough blocks to fill every SM a few times, no more.
    private uint GridFor(long items) => (uint)Math.Clamp((items + 255) / 256, 1, _sms * 8L);

    public void Dispose()
    {
        _wgmmaModule?.Dispose();
        _module.Dispose();
    }
}
