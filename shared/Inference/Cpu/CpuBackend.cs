using System.Buffers;
using System.Numerics.Tensors;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu.Gemm;
using LlmServe.Inference.Cpu.Kernels;
using LlmServe.Inference.Sampling;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Cpu;

/// <summary>
/// The reference backend: fp32 weights and activations in managed arrays (bf16/f16 checkpoints are widened
/// at load so one fp32 GEMM, <see cref="SgemmNT"/>, serves every linear layer), SIMD through
/// TensorPrimitives, rows and heads spread over cores with <see cref="Parallel"/>. Work runs synchronously
/// on the calling thread, so <see cref="Synchronize"/> has nothing to wait for.
/// </summary>
public sealed class CpuBackend : IBackend, IGreedyLogitsReader
{
    // Rows per worker below which a kernel stays on one thread: hand-off costs more than the work.
    private const int RowGrain = 4;

    private readonly CpuParallel _parallel;
    // Query lengths from which attention runs as GEMM tiles instead of per-row dot products.
    private const int PrefillThreshold = 8;

    private readonly CpuStep _step = new();
    private int[] _shortRows = new int[64];
    private int[] _prefillBlocks = new int[64];

    private readonly bool _packWeights;

    /// <param name="options">Thread count.</param>
    /// <param name="packWeights">
    /// Keep a GEMM-packed copy of each linear weight for prefill-sized steps (faster prefill, twice the weight memory).
    /// </param>
    public CpuBackend(BackendOptions? options = null, bool packWeights = true)
    {
        _parallel = new CpuParallel(options?.Threads ?? 0);
        _packWeights = packWeights;
    }

    public string Name => "cpu";

    /// <summary>Worker threads kernels use.</summary>
    public int Threads => _parallel.Threads;

    public BackendTensor UploadWeight(IReadOnlyList<TensorView> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("a weight needs at least one part", nameof(parts));
        }

        // 2-D parts stack along rows (fused QKV / gate-up); 1-D parts (biases, norms) join into one row.
        bool vector = parts[0].Shape.Count == 1;
        int cols = vector ? 0 : parts[0].Cols;
        long rows = vector ? 1 : 0;
        foreach (var part in parts)
        {
            if ((part.Shape.Count == 1) != vector || (!vector && part.Cols != cols))
            {
                throw new ArgumentException($"cannot concatenate {part} with {parts[0]}", nameof(parts));
            }

            if (vector)
            {
                cols += part.Rows;
            }
            else
            {
                rows += part.Rows;
            }
        }

        var tensor = new CpuTensor(checked((int)rows), cols);
        long offset = 0;
        foreach (var part in parts)
        {
            // Row chunks keep each span of source bytes under 2 GiB (a 128k-vocab lm_head can exceed it).
            int partRows = part.Rows;
            int rowElements = checked((int)(part.ElementCount / Math.Max(1, partRows)));
            int chunk = Math.Max(1, (1 << 28) / Math.Max(1, rowElements));
            for (int r = 0; r < partRows; r += chunk)
            {
                int n = Math.Min(chunk, partRows - r);
                DTypeConversion.Widen(part.DType, part.RowBytes(r, n), tensor.Data.AsSpan(checked((int)offset), n * rowElements));
                offset += (long)n * rowElements;
            }
        }

        return tensor;
    }

    public BackendTensor UploadFloats(ReadOnlySpan<float> data, int rows, int cols)
    {
        var tensor = new CpuTensor(rows, cols);
        data[..(rows * cols)].CopyTo(tensor.Data);
        return tensor;
    }

    public BackendTensor Allocate(int rows, int cols) => new CpuTensor(rows, cols);

    public BackendKvCache AllocateKvCache(KvCacheSpec spec) => new CpuKvCache(spec);

    public void PrepareStep(in StepBatch batch, BackendKvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        batch.Validate(cache.Spec, needsTokenIds: false);
        _step.Load(batch);
    }

    public void Embedding(BackendTensor table, BackendTensor output)
    {
        var t = Cpu(table);
        var o = Cpu(output);
        if (!_step.HasTokenIds)
        {
            throw new InvalidStepBatchException("the embedding needs token ids for every row");
        }

        for (int row = 0; row < _step.NumTokens; row++)
        {
            int token = _step.TokenIds[row];
            if ((uint)token >= (uint)t.Rows)
            {
                throw new InvalidStepBatchException($"token id {token} outside the vocabulary of {t.Rows}");
            }

            t.Row(token).CopyTo(o.Row(row));
        }
    }

    public void Linear(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows)
    {
        var x = Cpu(input);
        var w = Cpu(weight);
        var y = Cpu(output);
        if (x.Cols != w.Cols || y.Cols != w.Rows)
        {
            throw new ArgumentException($"linear shapes: input {x}, weight {w}, output {y}");
        }

        if (rows == 0)
        {
            return;
        }

        if (rows > SgemmNT.SmallMThreshold && _packWeights)
        {
            // Prefill-sized GEMMs run faster on a prepacked B; decode-sized ones read row-major B directly.
            w.Packed ??= PackedMatrix.Pack(w.Data, w.Rows, w.Cols);
            SgemmNT.Multiply(x.RowsSpan(rows), w.Packed, y.RowsSpan(rows), rows, accumulate: false, _parallel.Threads);
        }
        else
        {
            SgemmNT.Multiply(x.RowsSpan(rows), w.Data, y.RowsSpan(rows), rows, w.Rows, w.Cols, accumulate: false, _parallel.Threads);
        }
        if (bias is not null)
        {
            var b = Cpu(bias).Data.AsSpan(0, w.Rows);
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(y.Row(r), b, y.Row(r));
            }
        }
    }

    public void RmsNorm(BackendTensor input, BackendTensor weight, float epsilon, BackendTensor output, int rows)
    {
        var x = Cpu(input);
        var w = Cpu(weight);
        var y = Cpu(output);
        _parallel.For(rows, RowGrain, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                RmsNormKernel.Normalize(x.Row(r), w.Data, epsilon, y.Row(r));
            }
        });
    }

    public void AddRmsNorm(BackendTensor input, BackendTensor residual, BackendTensor weight, float epsilon, BackendTensor output, int rows)
    {
        var x = Cpu(input);
        var res = Cpu(residual);
        var w = Cpu(weight);
        var y = Cpu(output);
        _parallel.For(rows, RowGrain, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var resRow = res.Row(r);
                TensorPrimitives.Add(resRow, x.Row(r), resRow);
                RmsNormKernel.Normalize(resRow, w.Data, epsilon, y.Row(r));
            }
        });
    }

    public void HeadRmsNorm(BackendTensor x, int firstColumn, int numHeads, int headDim, BackendTensor weight, float epsilon, int rows)
    {
        var t = Cpu(x);
        var w = Cpu(weight).Data.AsSpan(0, headDim).ToArray();
        _parallel.For(rows, RowGrain, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var row = t.Row(r);
                for (int h = 0; h < numHeads; h++)
                {
                    var head = row.Slice(firstColumn + (h * headDim), headDim);
                    RmsNormKernel.Normalize(head, w, epsilon, head);
                }
            }
        });
    }

    public void RopeAndWriteKv(BackendTensor qkv, AttentionShape shape, BackendTensor cosSin, BackendKvCache cache, int layer)
    {
        var t = Cpu(qkv);
        var table = Cpu(cosSin);
        var kv = Kv(cache);
        var keys = kv.Keys[layer];
        var values = kv.Values[layer];
        int d = shape.HeadDim;
        _parallel.For(_step.NumTokens, RowGrain, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int pos = _step.Positions[r];
                if (pos >= table.Rows)
                {
                    throw new InvalidStepBatchException($"position {pos} beyond the RoPE table's {table.Rows} positions");
                }

                var cs = table.Row(pos);
                var row = t.Row(r);
                for (int h = 0; h < shape.NumHeads + shape.NumKvHeads; h++)
                {
                    RopeKernel.Rotate(row.Slice(h * d, d), cs);
                }

                int slot = _step.Slots[r];
                if (slot >= 0)
                {
                    row.Slice(shape.QWidth, shape.KvWidth).CopyTo(keys.AsSpan(slot * kv.SlotWidth, kv.SlotWidth));
                    row.Slice(shape.QWidth + shape.KvWidth, shape.KvWidth).CopyTo(values.AsSpan(slot * kv.SlotWidth, kv.SlotWidth));
                }
            }
        });
    }

    public void Attention(BackendTensor qkv, AttentionShape shape, BackendKvCache cache, int layer, float scale, BackendTensor output)
    {
        var t = Cpu(qkv);
        var o = Cpu(output);
        var kv = Kv(cache);
        var keys = kv.Keys[layer];
        var values = kv.Values[layer];
        int d = shape.HeadDim;
        int blockSize = kv.Spec.BlockSize;
        var step = _step;

        // Short queries (decode) run per (row, head) with dot products; longer ones (prefill chunks) run in
        // blocks of rows as GEMMs. Work lists are rebuilt per call into reused arrays.
        int shortRows = 0;
        int blocks = 0;
        for (int s = 0; s < step.NumSeqs; s++)
        {
            int start = step.QueryStarts[s];
            int qLen = step.QueryStarts[s + 1] - start;
            if (qLen < PrefillThreshold)
            {
                for (int r = start; r < start + qLen; r++)
                {
                    _shortRows = Grow(_shortRows, shortRows + 1);
                    _shortRows[shortRows++] = r;
                }

                continue;
            }

            for (int b = 0; b < qLen; b += PrefillAttentionKernel.QueryBlock)
            {
                _prefillBlocks = Grow(_prefillBlocks, (blocks + 1) * 2);
                _prefillBlocks[blocks * 2] = s;
                _prefillBlocks[(blocks * 2) + 1] = b;
                blocks++;
            }
        }

        var shortList = _shortRows;
        _parallel.For(shortRows * shape.NumHeads, 8, (first, end) =>
        {
            for (int item = first; item < end; item++)
            {
                int r = shortList[item / shape.NumHeads];
                int h = item % shape.NumHeads;
                int s = step.RowSequence[r];
                int qLen = step.QueryStarts[s + 1] - step.QueryStarts[s];
                int visible = step.ContextLengths[s] - qLen + (r - step.QueryStarts[s]) + 1;
                PagedAttentionKernel.Attend(
                    t.Row(r).Slice(h * d, d),
                    keys,
                    values,
                    step.BlockTables.AsSpan(s * step.BlockTableStride, step.BlockTableStride),
                    blockSize,
                    kv.SlotWidth,
                    h / shape.GroupSize * d,
                    visible,
                    scale,
                    o.Row(r).Slice(h * d, d));
            }
        });

        var blockList = _prefillBlocks;
        _parallel.For(blocks * shape.NumHeads, 1, (first, end) =>
        {
            for (int item = first; item < end; item++)
            {
                int block = item / shape.NumHeads;
                int h = item % shape.NumHeads;
                int s = blockList[block * 2];
                int offset = blockList[(block * 2) + 1];
                int start = step.QueryStarts[s];
                int qLen = step.QueryStarts[s + 1] - start;
                int rows = Math.Min(PrefillAttentionKernel.QueryBlock, qLen - offset);
                PrefillAttentionKernel.Attend(
                    t,
                    start + offset,
                    rows,
                    step.ContextLengths[s] - qLen + offset,
                    h * d,
                    d,
                    keys,
                    values,
                    step.BlockTables.AsSpan(s * step.BlockTableStride, step.BlockTableStride),
                    blockSize,
                    kv.SlotWidth,
                    h / shape.GroupSize * d,
                    scale,
                    o,
                    h * d);
            }
        });
    }

    public void SiluAndMul(BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        var g = Cpu(gateUp);
        var o = Cpu(output);
        _parallel.For(rows, RowGrain, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var row = g.Row(r);
                SiluAndMulKernel.Apply(row[..width], row.Slice(width, width), o.Row(r)[..width]);
            }
        });
    }

    public void GatherLogitRows(BackendTensor input, BackendTensor output)
    {
        var x = Cpu(input);
        var y = Cpu(output);
        for (int i = 0; i < _step.NumLogitRows; i++)
        {
            x.Row(_step.LogitRows[i]).CopyTo(y.Row(i));
        }
    }

    public void CopyKvBlock(BackendKvCache cache, int source, int destination)
    {
        var kv = Kv(cache);
        int blockFloats = kv.Spec.BlockSize * kv.SlotWidth;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)source, (uint)kv.Spec.NumBlocks, nameof(source));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)destination, (uint)kv.Spec.NumBlocks, nameof(destination));
        for (int l = 0; l < kv.Spec.NumLayers; l++)
        {
            kv.Keys[l].AsSpan(source * blockFloats, blockFloats).CopyTo(kv.Keys[l].AsSpan(destination * blockFloats, blockFloats));
            kv.Values[l].AsSpan(source * blockFloats, blockFloats).CopyTo(kv.Values[l].AsSpan(destination * blockFloats, blockFloats));
        }
    }

    public void CopyToHost(BackendTensor source, int rows, Span<float> destination) => Cpu(source).RowsSpan(rows).CopyTo(destination);

    /// <summary>The same picks and logprobs as host-side greedy sampling, without copying the rows out.</summary>
    public void ArgmaxLogits(BackendTensor logits, int rows, Span<int> tokens, Span<float> logprobs)
    {
        var l = Cpu(logits);
        int vocab = l.Cols;
        var all = l.RowsSpan(rows);
        float[] scratch = ArrayPool<float>.Shared.Rent(vocab);
        try
        {
            for (int r = 0; r < rows; r++)
            {
                var row = all.Slice(r * vocab, vocab);
                int token = TensorPrimitives.IndexOfMax(row);
                tokens[r] = token;
                logprobs[r] = row[token] - LogprobCalculator.LogSumExp(row, scratch.AsSpan(0, vocab));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    public void CopyFromHost(ReadOnlySpan<float> source, BackendTensor destination, int rows)
    {
        var d = Cpu(destination);
        source[..(rows * d.Cols)].CopyTo(d.RowsSpan(rows));
    }

    public void Synchronize()
    {
    }

    public void Dispose()
    {
    }

    // The work lists grow while they are being filled, so what is already in them must come along.
    private static int[] Grow(int[] array, int length)
    {
        if (array.Length < length)
        {
            Array.Resize(ref array, Math.Max(length, array.Length * 2));
        }

        return array;
    }

    private static CpuTensor Cpu(BackendTensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"{tensor} does not belong to the CPU backend", nameof(tensor));

    private static CpuKvCache Kv(BackendKvCache cache) =>
        cache as CpuKvCache ?? throw new ArgumentException("the KV cache does not belong to the CPU backend", nameof(cache));
}
