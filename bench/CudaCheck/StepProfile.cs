using System.Globalization;
using LlmServe.Cuda.Backend;
using LlmServe.Inference.Backends;

namespace LlmServe.CudaCheck;

/// <summary>
/// One eager step with an event at every backend op (<see cref="StepOpTimer"/>): where the whole step's GPU time goes,
/// op by op (each op's kernels plus any gap before the next op), next to the kernels timed alone in the per-kernel table.
/// </summary>
internal sealed class StepProfile(CudaBackend backend, Gpu gpu, Report report)
{
    public void Run(BenchModel model, CudaKvCache cache, string name, Func<StepBatch> step)
    {
        using var timer = new StepOpTimer(gpu.Context, 4096);
        model.Forward(step(), cache);
        backend.Synchronize();
        backend.OpTimer = timer;
        try
        {
            model.Forward(step(), cache);
        }
        finally
        {
            backend.OpTimer = null;
        }

        var ops = timer.Finish(gpu.Stream);
        double total = ops.Sum(o => (double)o.Ms);
        report.Line(string.Create(CultureInfo.InvariantCulture, $"step profile, {name}: {ops.Count} ops, {total:F2} ms on the GPU's clock (op start to next op start):"));
        foreach (var g in ops.GroupBy(o => (o.Op, o.Detail)).OrderByDescending(g => g.Sum(o => o.Ms)))
        {
            double ms = g.Sum(o => (double)o.Ms);
            report.Timing(string.Create(CultureInfo.InvariantCulture,
                $"| step profile {name}: {OpName(g.Key.Op, g.Key.Detail)} | {g.Count()} | {ms:F2} ms | {ms * 1e3 / g.Count():F1} us each | {ms / total * 100:F1}% |"));
        }
    }

    private static string OpName(BackendOp op, int detail) => detail > 0 ? $"{op} N={detail}" : op.ToString();
}
