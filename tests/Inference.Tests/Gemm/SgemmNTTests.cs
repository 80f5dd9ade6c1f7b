using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LlmServe.Inference.Cpu.Gemm;

namespace LlmServe.Inference.Tests.Gemm;

public class SgemmNTTests
{
    // Shapes around every blocking edge: MR (14/6), NR (32/16), the dot block (4), SmallMThreshold (16),
    // KC (256), MC (168/144) and NC (1024/2048), plus odd sizes.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 3, 17 }, { 1, 768, 768 }, { 3, 17, 63 }, { 2, 65, 127 }, { 16, 33, 65 }, { 17, 63, 127 },
        { 14, 32, 256 }, { 15, 33, 257 }, { 63, 65, 1 }, { 65, 127, 300 }, { 127, 64, 513 }, { 130, 96, 64 },
        { 350, 40, 20 }, { 29, 2100, 40 }, { 7, 5, 1000 },
    };

    public static TheoryData<string> Kernels
    {
        get
        {
            var kernels = new TheoryData<string> { nameof(GemmIsa.Portable) };
            if (Vector256.IsHardwareAccelerated && Avx.IsSupported)
            {
                kernels.Add(nameof(GemmIsa.Avx2));
            }

            if (Avx512F.IsSupported)
            {
                kernels.Add(nameof(GemmIsa.Avx512));
            }

            return kernels;
        }
    }

    public static TheoryData<string, int, int, int> KernelShapes
    {
        get
        {
            var data = new TheoryData<string, int, int, int>();
            foreach (var kernel in Kernels)
            {
                foreach (var shape in Shapes)
                {
                    data.Add((string)kernel.Data, shape.Data.Item1, shape.Data.Item2, shape.Data.Item3);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void Matches_a_double_precision_reference(string isa, int m, int n, int k)
    {
        var (a, b) = Operands(m, n, k, seed: m + n + k);
        var c = new float[m * n];
        SgemmNT.Multiply(Kernel(isa), a, b, c, m, n, k, accumulate: false, maxThreads: 0);
        AssertClose(Reference(a, b, null, m, n, k), c, a, b, m, n, k);
    }

    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void Accumulate_adds_to_the_existing_values(string isa, int m, int n, int k)
    {
        var (a, b) = Operands(m, n, k, seed: 3 * (m + n + k));
        var c0 = Enumerable.Range(0, m * n).Select(i => (float)Math.Sin(i)).ToArray();
        var c = (float[])c0.Clone();
        SgemmNT.Multiply(Kernel(isa), a, b, c, m, n, k, accumulate: true, maxThreads: 0);
        AssertClose(Reference(a, b, c0, m, n, k), c, a, b, m, n, k);
    }

    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void Prepacked_b_gives_the_same_product(string isa, int m, int n, int k)
    {
        var (a, b) = Operands(m, n, k, seed: 7 * (m + n + k));
        var packed = PackedMatrix.Pack(b, n, k, Kernel(isa));
        var c0 = Enumerable.Range(0, m * n).Select(i => (float)Math.Cos(i)).ToArray();
        var c = (float[])c0.Clone();
        SgemmNT.Multiply(a, packed, c, m, accumulate: true);
        AssertClose(Reference(a, b, c0, m, n, k), c, a, b, m, n, k);
        Assert.Equal(n, packed.N);
        Assert.Equal(k, packed.K);
    }

    [Theory]
    [InlineData(1, 3000, 64)]
    [InlineData(200, 500, 300)]
    [InlineData(400, 20, 100)]
    public void One_thread_and_many_threads_agree_exactly(int m, int n, int k)
    {
        var (a, b) = Operands(m, n, k, seed: 11);
        var one = new float[m * n];
        var many = new float[m * n];
        SgemmNT.Multiply(a, b, one, m, n, k, accumulate: false, maxThreads: 1);
        SgemmNT.Multiply(a, b, many, m, n, k, accumulate: false, maxThreads: 4);
        Assert.Equal(one, many);
        AssertClose(Reference(a, b, null, m, n, k), many, a, b, m, n, k);
    }

    [Fact]
    public void The_public_entry_point_uses_the_exact_signature_and_overwrites_c()
    {
        var (a, b) = Operands(5, 6, 7, seed: 13);
        var c = Enumerable.Repeat(float.NaN, 30).ToArray();
        SgemmNT.Multiply(a, b, c, 5, 6, 7);
        AssertClose(Reference(a, b, null, 5, 6, 7), c, a, b, 5, 6, 7);
    }

    [Fact]
    public void Empty_k_clears_c_or_leaves_it_when_accumulating()
    {
        float[] c = [1f, 2f];
        SgemmNT.Multiply([], [], c, 1, 2, 0, accumulate: true);
        Assert.Equal([1f, 2f], c);
        SgemmNT.Multiply([], [], c, 1, 2, 0);
        Assert.Equal([0f, 0f], c);
    }

    [Fact]
    public void Short_buffers_and_negative_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SgemmNT.Multiply(new float[5], new float[6], new float[4], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => SgemmNT.Multiply(new float[6], new float[5], new float[4], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => SgemmNT.Multiply(new float[6], new float[6], new float[3], 2, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => SgemmNT.Multiply(new float[6], new float[6], new float[4], -1, 2, 3));
        Assert.Throws<ArgumentException>(() => PackedMatrix.Pack(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => SgemmNT.Multiply(new float[5], PackedMatrix.Pack(new float[6], 2, 3), new float[4], 2));
    }

    [Fact]
    public void Concurrent_callers_each_get_their_own_correct_product()
    {
        var cases = Enumerable.Range(0, 12).Select(i => (M: 20 + i, N: 300 + (7 * i), K: 64 + i)).ToArray();
        var expected = cases.Select(s =>
        {
            var (a, b) = Operands(s.M, s.N, s.K, seed: s.M);
            var c = new float[s.M * s.N];
            SgemmNT.Multiply(a, b, c, s.M, s.N, s.K, accumulate: false, maxThreads: 1);
            return c;
        }).ToArray();

        var actual = new float[cases.Length][];
        Parallel.For(0, cases.Length, i =>
        {
            var (m, n, k) = cases[i];
            var (a, b) = Operands(m, n, k, seed: m);
            actual[i] = new float[m * n];
            for (int repeat = 0; repeat < 5; repeat++)
            {
                SgemmNT.Multiply(a, b, actual[i], m, n, k, accumulate: false, maxThreads: 3);
            }
        });

        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    private static GemmKernel? Kernel(string isa) => GemmKernel.For(Enum.Parse<GemmIsa>(isa));

    private static (float[] A, float[] B) Operands(int m, int n, int k, int seed)
    {
        var random = new Random(seed);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return (a, b);
    }

    private static double[] Reference(float[] a, float[] b, float[]? c0, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = c0 is null ? 0 : c0[(i * n) + j];
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a[(i * k) + p] * b[(j * k) + p];
                }

                c[(i * n) + j] = sum;
            }
        }

        return c;
    }

    // fp32 accumulation error grows with the sum of |a·b| terms; allow a few ulps of that per element.
    private static void AssertClose(double[] expected, float[] actual, float[] a, float[] b, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double scale = 1;
                for (int p = 0; p < k; p++)
                {
                    scale += Math.Abs((double)a[(i * k) + p] * b[(j * k) + p]);
                }

                double error = Math.Abs(expected[(i * n) + j] - actual[(i * n) + j]);
                Assert.True(error <= 1e-5 * scale, $"C[{i},{j}] = {actual[(i * n) + j]}, expected {expected[(i * n) + j]} (m={m} n={n} k={k})");
            }
        }
    }
}
