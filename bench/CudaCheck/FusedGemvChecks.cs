namespace LlmServe.CudaCheck;

/// <summary>
/// The fused decode GEMVs against the unfused kernels they replace, on random inputs of several shapes (odd row counts,
/// rows past a CTA's end, both norm block sizes, one and two warps a row): the outputs must be equal bit for bit and
/// every element written (outputs start as NaN).
/// </summary>
internal sealed class FusedGemvChecks(Gpu gpu, Report report)
{
    private const float Eps = 1e-5f;
    private readonly Random _rng = new(4321);

    public void RunAll()
    {
        AddResidual();
        NormThenGemv();
        NormGemvSilu();
        gpu.FreeAll();
    }

    private float[] Rand(long n, float scale = 1f)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++)
        {
            a[i] = (float)((_rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }

    private void AddResidual()
    {
        foreach (var (m, n, k, bias) in new[] { (1, 4096, 4096, false), (3, 333, 1030, true), (8, 4096, 14336, false), (2, 9000, 1024, true), (5, 77, 100, false) })
        {
            var x = Rand((long)m * k);
            var w = Rand((long)n * k, 0.05f);
            var b = Rand(n);
            var r = Rand((long)m * n);
            ulong dx = gpu.Bf16(x), dw = gpu.Bf16(w), db = bias ? gpu.Bf16(b) : 0, unfused = gpu.Bf16(r), fused = gpu.Bf16(r);
            ulong hidden = gpu.PoisonedBf16((long)m * n), normed = gpu.PoisonedBf16((long)m * n), g = gpu.Bf16(Rand(n));
            gpu.Kernels.Gemv(gpu.Stream, dx, dw, db, hidden, m, n, k, false);
            gpu.Kernels.AddRmsNorm(gpu.Stream, hidden, unfused, g, normed, m, n, Eps);
            gpu.Kernels.GemvAddResidual(gpu.Stream, dx, dw, db, fused, m, n, k);
            Same($"gemv+residual add M={m} N={n} K={k} bias={bias}", unfused, fused, (long)m * n);
        }
    }

    private void NormThenGemv()
    {
        // K = 4096: the norm's 512-thread sums; 1024 and 2056 (257 words: one virtual thread sums two) the 256-thread ones.
        foreach (var (m, n, k, bias) in new[] { (1, 6144, 4096, false), (2, 1000, 1024, true), (4, 9000, 2056, false), (3, 77, 4096, true), (1, 8193, 1024, false) })
        {
            var r = Rand((long)m * k, 2f);
            ulong dr = gpu.Bf16(r), dg = gpu.Bf16(Rand(k)), dw = gpu.Bf16(Rand((long)n * k, 0.05f)), db = bias ? gpu.Bf16(Rand(n)) : 0;
            ulong normed = gpu.PoisonedBf16((long)m * k), unfused = gpu.PoisonedBf16((long)m * n), fused = gpu.PoisonedBf16((long)m * n);
            gpu.Kernels.AddRmsNorm(gpu.Stream, dr, 0, dg, normed, m, k, Eps);
            gpu.Kernels.Gemv(gpu.Stream, normed, dw, db, unfused, m, n, k, false);
            gpu.Kernels.GemvNorm(gpu.Stream, dr, dg, Eps, dw, db, fused, m, n, k, false);
            Same($"rmsnorm+gemv M={m} N={n} K={k} bias={bias}", unfused, fused, (long)m * n);
        }
    }

    private void NormGemvSilu()
    {
        // 14336: the 8B MLP (one warp a row); 1001 with K = 1024: [gate | up] under 8192 rows, so two warps a row.
        foreach (var (m, width, k) in new[] { (1, 14336, 4096), (4, 1001, 1024), (2, 300, 4096), (3, 4097, 2048) })
        {
            ulong dr = gpu.Bf16(Rand((long)m * k, 2f)), dg = gpu.Bf16(Rand(k)), dw = gpu.Bf16(Rand(2L * width * k, 0.05f));
            ulong normed = gpu.PoisonedBf16((long)m * k), gateUp = gpu.PoisonedBf16(2L * m * width);
            ulong unfused = gpu.PoisonedBf16((long)m * width), fused = gpu.PoisonedBf16((long)m * width);
            gpu.Kernels.AddRmsNorm(gpu.Stream, dr, 0, dg, normed, m, k, Eps);
            gpu.Kernels.Gemv(gpu.Stream, normed, dw, 0, gateUp, m, 2 * width, k, false);
            gpu.Kernels.SiluAndMul(gpu.Stream, gateUp, unfused, m, width);
            gpu.Kernels.GemvNormSiluAndMul(gpu.Stream, dr, dg, Eps, dw, fused, m, width, k);
            Same($"rmsnorm+gemv+silu_and_mul M={m} width={width} K={k}", unfused, fused, (long)m * width);
        }
    }

    private void Same(string name, ulong expected, ulong actual, long count)
    {
        var a = gpu.ReadBf16(expected, count);
        var b = gpu.ReadBf16(actual, count);
        int differ = 0, unwritten = 0, first = -1;
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(b[i]))
            {
                unwritten++;
            }

            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
            {
                differ++;
                first = first < 0 ? i : first;
            }
        }

        string detail = first < 0 ? $"{count} elements equal" : $"{differ} of {count} differ (first [{first}]: {a[first]:R} vs {b[first]:R}), {unwritten} NaN";
        report.Check($"fused {name} equals unfused", differ == 0 && unwritten == 0, detail);
    }
}
