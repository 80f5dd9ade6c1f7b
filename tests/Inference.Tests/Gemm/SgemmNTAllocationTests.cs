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

        // Packing buffers and jobs are pooled; the only allowed allocation is the pool growing by a job
        // object (~100 bytes) when a late pool thread still holds the previous one on a busy machine.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 512);
    }

    private static (float[] A, float[] B) Operands(int m, int n, int k, int seed)
    {
        var random = new Random(seed);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return (a, b);
    }
}
