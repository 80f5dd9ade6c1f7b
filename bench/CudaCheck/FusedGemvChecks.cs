namespace LlmServe.CudaCheck;

/// <summary>
/// The fused gate_up GEMV + SiLU-and-mul against the two unfused kernels on random inputs of several shapes (1 to 8
/// rows, CTAs whose last column is past the end, one and two warps a row, K not a multiple of 8): equal bit for bit,
/// every element written (outputs start as NaN).
/// </summary>
internal sealed class FusedGemvChecks(Gpu gpu, Report report)
{
    private readonly RandomData _random = new(4321);

    public void RunAll()
    {
        // 14336: the 8B MLP (one warp a row); [gate | up] under 8192 rows with K >= 1024 takes two warps a row.
        foreach (var (m, width, k) in new[] { (1, 14336, 4096), (4, 1001, 1024), (2, 300, 4096), (3, 4097, 2048), (8, 14336, 4096), (5, 77, 100), (7, 999, 1030) })
        {
            ulong dx = gpu.Bf16(Rand((long)m * k)), dw = gpu.Bf16(Rand(2L * width * k, 0.05f));
            ulong gateUp = gpu.PoisonedBf16(2L * m * width);
            ulong unfused = gpu.PoisonedBf16((long)m * width), fused = gpu.PoisonedBf16((long)m * width);
            gpu.Kernels.Gemv(gpu.Stream, dx, dw, 0, gateUp, m, 2 * width, k, false);
            gpu.Kernels.SiluAndMul(gpu.Stream, gateUp, unfused, m, width);
            gpu.Kernels.GemvSiluAndMul(gpu.Stream, dx, dw, fused, m, width, k);
            Same($"gemv+silu_and_mul M={m} width={width} K={k}", unfused, fused, (long)m * width);
        }

        gpu.FreeAll();
    }

    private float[] Rand(long n, float scale = 1f) => _random.Uniform(n, scale);

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
