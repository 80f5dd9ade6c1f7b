using LlmServe.Cuda.Backend;
using LlmServe.Inference.Backends;

namespace LlmServe.CudaCheck;

/// <summary>
/// The persistent decode kernel (decode_layers.cu) against the per-op path on the 8B-shaped model: the same one-token
/// step over the same cache at contexts from 1 to 3,000 tokens (one to many tokens a partition, the new token in the
/// first or a later partition), with every step buffer NaN-poisoned first so an unwritten element shows; then 24 greedy
/// steps each way. The GEMVs and norms are the per-op kernels' sums bit for bit; attention merges in another order.
/// </summary>
internal sealed class PersistentDecodeChecks(CudaBackend backend, Gpu gpu, Report report)
{
    // Attention in another order moves bf16 roundings of the 32 layers' activations; the backend check's bound.
    private const double Tolerance = 2e-2;

    public void Run(BenchModel model, CudaKvCache cache)
    {
        var builder = new StepBatchBuilder(2048, 256, 200, 16);
        if (!Step(model, cache, builder, 512, persistent: true, out _))
        {
            report.Check("persistent decode: the 8B layers are taken by the kernel", false, backend.PersistentDecodeRefusal ?? "step not persistent");
            return;
        }

        // Against both per-op attention kernels: the tensor-core one rounds the probabilities to bf16 before P·V (the
        // persistent kernel and the CUDA-core one keep them fp32), so it is the farther of the two.
        foreach (var ctx in new[] { 1, 2, 17, 133, 512, 3000 })
        {
            foreach (var tensorCores in new[] { true, false })
            {
                backend.DecodeOnTensorCores = tensorCores;
                Step(model, cache, builder, ctx, persistent: false, out var expected);
                Step(model, cache, builder, ctx, persistent: true, out var actual);
                var cmp = Compare.Of(actual, expected);
                bool sameArgmax = BackendChecks.ArgMax(actual) == BackendChecks.ArgMax(expected);
                report.Check($"persistent decode ctx {ctx}: logits match the per-op path ({(tensorCores ? "tensor-core" : "CUDA-core")} attention; poisoned buffers)",
                    cmp.Passes(Tolerance) && sameArgmax, $"{cmp}; argmax {BackendChecks.ArgMax(actual)} vs {BackendChecks.ArgMax(expected)}");
            }
        }

        backend.DecodeOnTensorCores = true;

        var tokens = new int[2][];
        for (int run = 0; run < 2; run++)
        {
            tokens[run] = new int[24];
            int token = 7;
            for (int i = 0; i < 24; i++)
            {
                Step(model, cache, builder, 512 + i, persistent: run == 1, out var logits, token);
                token = BackendChecks.ArgMax(logits);
                tokens[run][i] = token;
            }
        }

        int mismatches = tokens[0].Zip(tokens[1]).Count(p => p.First != p.Second);
        report.Check("persistent decode: 24 greedy steps from ctx 512 give the per-op path's tokens", mismatches == 0,
            $"{mismatches} of 24 differ; per-op {string.Join(',', tokens[0].Take(8))}..., persistent {string.Join(',', tokens[1].Take(8))}...");
        backend.PersistentDecode = false;
    }

    /// <summary>
    /// The checks on an 8B-shaped model of <paramref name="layers"/> layers with its own small cache, then single-stream
    /// step times of the persistent kernel and the per-op path: a quick first call when the kernel changes.
    /// </summary>
    public void Smoke(int layers)
    {
        using var model = new BenchModel(backend, gpu, 2048, 256, 4096, layers);
        using var cache = (CudaKvCache)backend.AllocateKvCache(model.CacheSpec(256));
        gpu.Kernels.FillRandom(gpu.Stream, cache.Buffer.Pointer, cache.Buffer.Bytes / 2, 11, 1f);
        Run(model, cache);
        var builder = new StepBatchBuilder(2048, 256, 200, 16);
        foreach (var persistent in new[] { true, false })
        {
            backend.PersistentDecode = persistent;
            Step(model, cache, builder, 512, persistent, out _);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            const int steps = 50;
            for (int i = 0; i < steps; i++)
            {
                Step(model, cache, builder, 512, persistent, out _);
            }

            report.Timing(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"decode batch 1 ctx 512, {layers} layer(s), {(persistent ? "persistent" : "per-op")}: {sw.Elapsed.TotalMilliseconds / steps:F3} ms/step (with poisoning and a logits copy)"));
        }

        backend.PersistentDecode = false;
    }

    // One decode step of one sequence at `ctx` tokens (the new one at ctx - 1); false when the step was not persistent.
    private bool Step(BenchModel model, CudaKvCache cache, StepBatchBuilder builder, int ctx, bool persistent, out float[] logits, int token = 7)
    {
        backend.PersistentDecode = persistent;
        foreach (var t in new[] { model.HiddenBuf, model.ResidualBuf, model.QkvBuf, model.AttnBuf, model.ActBuf })
        {
            var c = (CudaTensor)t;
            gpu.Stream.Fill16(c.Pointer, 0x7FC1, (long)c.Rows * c.Cols);
        }

        model.Forward(Benchmarks.Decode(builder, 1, ctx, 200, true, token), cache);
        logits = new float[BenchModel.Vocab];
        backend.CopyToHost(model.Logits, 1, logits);
        return model.LastStepPersistent == persistent;
    }
}
