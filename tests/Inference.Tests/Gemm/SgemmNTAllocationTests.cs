using LlmServe.Inference.Cpu.Gemm;

namespace LlmServe.Inference.Tests.Gemm;

[Collection(AllocationSensitiveCollection.Name)]
public class SgemmNTAllocationTests
{
    [Theory]
    [InlineData(1, 2048, 512)]
    [InlineData(64, 512, 512)]
    public void A_warm_multithreaded_call_allocates_no_buffers(int m, int n, int k)
    {
        var (a, b) = Operands(m, n, k, seed: 5);
        var packed = PackedMatrix.Pack(b, n, k);
        var c = new float[m * n];
        for (int i = 0; i < 10; i++)
        {
            SgemmNT.Multiply(a, b, c, m, n, k, accumulate: false, maxThreads: 2);
            SgemmNT.Multiply(a, packed, c, m, accumulate: true, maxThreads: 2);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            SgemmNT.Multiply(a, b, c, m, n, k, accumulate: false, maxThreads: 2);
            SgemmNT.Multiply(a, packed, c, m, accumulate: true, maxThreads: 2);
        }

        // Packing buffers and jobs are pooled. On a busy machine pool threads start late and still hold the
        // previous call's job, so the pool grows by one small job object (~150 bytes) per call, and the
        // thread pool's queue may add a segment: a few KB over these 20 calls. One call's packing scratch
        // (GemmScratch: MC×KC + NC×KC floats) is far over 16 KB, so this bound still fails if a call allocates one.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16 * 1024);
    }

    private static (float[] A, float[] B) Operands(int m, int n, int k, int seed)
    {
        var random = new Random(seed);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return (a, b);
    }
}
