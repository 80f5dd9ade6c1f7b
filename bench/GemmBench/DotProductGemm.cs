using System.Numerics.Tensors;

namespace LlmServe.GemmBench;

/// <summary>The baseline: one TensorPrimitives.Dot per output element, rows of C split over threads.</summary>
internal static class DotProductGemm
{
    public static void Multiply(float[] a, float[] b, float[] c, int m, int n, int k, int threads)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        if (m == 1)
        {
            Parallel.For(0, threads, options, t =>
            {
                for (int j = n * t / threads; j < n * (t + 1) / threads; j++)
                {
                    c[j] = TensorPrimitives.Dot(a.AsSpan(0, k), b.AsSpan(j * k, k));
                }
            });
            return;
        }

        Parallel.For(0, m, options, i =>
        {
            var row = a.AsSpan(i * k, k);
            for (int j = 0; j < n; j++)
            {
                c[(i * n) + j] = TensorPrimitives.Dot(row, b.AsSpan(j * k, k));
            }
        });
    }
}
