using LlmServe.Cuda.Kernels;

namespace LlmServe.CudaCheck;

/// <summary>
/// A few launches of the hot kernels at their benchmark shapes and nothing else, for a profiler to attach to
/// (`ncu -k regex:... dotnet LlmServe.CudaCheck.dll profile`): prefill attention over 2048 causal tokens, decode
/// attention for 256 sequences of 512 tokens, and the M=1 down-projection GEMV. Llama-3.1-8B head layout.
/// </summary>
internal sealed class ProfileTargets(Gpu gpu, Report report)
{
    private const int Heads = 32, KvHeads = 8, HeadDim = 128, BlockSize = 16;

    public void Run(int reps)
    {
        var k = gpu.Kernels;
        var s = gpu.Stream;
        float scale = 1f / MathF.Sqrt(HeadDim);
        int qkvWidth = (Heads + (2 * KvHeads)) * HeadDim;

        // Prefill: one sequence of 2048 tokens, blocks 0..127.
        const int t = 2048;
        int blocks = t / BlockSize;
        long cacheElems = (long)8192 * KvHeads * BlockSize * HeadDim;
        var kc = gpu.Alloc(2 * cacheElems).Pointer;
        var vc = gpu.Alloc(2 * cacheElems).Pointer;
        k.FillRandom(s, kc, cacheElems, 1, 1f);
        k.FillRandom(s, vc, cacheElems, 2, 1f);
        var q = gpu.Alloc(2L * t * qkvWidth).Pointer;
        k.FillRandom(s, q, (long)t * qkvWidth, 3, 1f);
        var o = gpu.Alloc(2L * t * Heads * HeadDim).Pointer;
        var table = gpu.Ints([.. Enumerable.Range(0, blocks)]);
        var starts = gpu.Ints([0, t]);
        var lens = gpu.Ints([t]);
        for (int i = 0; i < reps; i++)
        {
            k.PrefillAttention(s, q, qkvWidth, o, kc, vc, table, blocks, starts, lens, 1, t, Heads, KvHeads, HeadDim, BlockSize, scale);
        }

        // Decode: 256 sequences at context 512, 32 blocks each.
        const int seqs = 256, ctx = 512, per = ctx / BlockSize;
        var dtable = gpu.Ints([.. Enumerable.Range(0, seqs * per)]);
        var dlens = gpu.Ints([.. Enumerable.Repeat(ctx, seqs)]);
        int splits = KernelLibrary.DecodeSplits(ctx);
        var scratch = gpu.Alloc(Math.Max(16, k.DecodeScratchBytes(seqs, Heads, KvHeads, HeadDim, BlockSize, splits))).Pointer;
        int count = k.DecodePartitioning(seqs, Heads, KvHeads, HeadDim, BlockSize, splits).Count;
        ulong ml = scratch + (4UL * seqs * Heads * (ulong)count * HeadDim);
        for (int i = 0; i < reps; i++)
        {
            k.DecodeAttention(s, q, qkvWidth, o, scratch, ml, kc, vc, dtable, per, dlens, seqs, Heads, KvHeads, HeadDim, BlockSize, scale, splits);
        }

        // GEMV M=1, the down projection's shape.
        const int n = 4096, kk = 14336;
        var w = gpu.Alloc(2L * n * kk).Pointer;
        k.FillRandom(s, w, (long)n * kk, 4, 0.02f);
        var x = gpu.Alloc(2L * kk).Pointer;
        k.FillRandom(s, x, kk, 5, 1f);
        var y = gpu.Alloc(2L * n).Pointer;
        for (int i = 0; i < reps; i++)
        {
            k.Gemv(s, x, w, 0, y, 1, n, kk, false);
        }

        gpu.FreeAll();
        report.Line($"profile targets: {reps} launches each of {(k.PrefillDoubleBuffered ? "prefill_attention_pipe_d128" : "prefill_attention_d128")}, {(k.DecodeOnTensorCores ? "decode_attention_tc_d128" : "decode_attention_d128_g4")} (+reduce), gemv_m1");
    }
}
