using LlmServe.Cuda.Nccl;
using LlmServe.Cuda.Native;

namespace LlmServe.CudaCheck;

/// <summary>
/// NCCL through our bindings on one GPU: a 1-rank communicator from a fresh unique id, an in-place all-reduce (sum
/// over one rank leaves the data unchanged) and a grouped send/receive to itself. Multi-GPU runs are not lent here.
/// </summary>
internal static class NcclCheck
{
    public static void Run(Gpu gpu, CudaLibraryOptions libraries, Report report)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int version = NcclCommunicator.Version(libraries);
        var id = NcclCommunicator.CreateUniqueId(libraries);
        using var comm = NcclCommunicator.InitRank(gpu.Context, libraries, id, 0, 1);
        long initMs = sw.ElapsedMilliseconds;
        const int n = 262144;
        var data = new float[n];
        var rng = new Random(5);
        for (int i = 0; i < n; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        ulong buf = gpu.Bf16(data);
        comm.AllReduceSumBf16(buf, buf, n, gpu.Stream);
        var after = gpu.ReadBf16(buf, n);
        ulong dst = gpu.PoisonedBf16(n);
        NcclCommunicator.Group(() =>
        {
            comm.SendBf16(buf, n, 0, gpu.Stream);
            comm.ReceiveBf16(dst, n, 0, gpu.Stream);
        });
        var received = gpu.ReadBf16(dst, n);
        var a = Compare.Of(after, data);
        var r = Compare.Of(received, data);
        report.Check($"nccl {version} 1-rank all-reduce + send/recv ({n} bf16)", a.Passes(0) && r.Passes(0), $"all-reduce {a}; send/recv {r}; init {initMs} ms");
        gpu.FreeAll();
    }
}
