using System.Runtime.InteropServices;
using LlmServe.Cuda.Blas;
using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Weights;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// <see cref="IBackend"/> on one NVIDIA GPU: bf16 weights and activations, fp32 math, cuBLASLt GEMMs, NVRTC-compiled
/// kernels, one stream. Pure-decode steps are captured once per batch-size bucket into CUDA graphs and replayed:
/// the step's metadata is copied into fixed buffers, the model's op calls are checked against the captured
/// sequence instead of launching, and the graph runs when the host first reads a result.
/// </summary>
public sealed unsafe partial class CudaBackend : IBackend, IGreedyLogitsReader, IFusedGateUpActivation
{
    private readonly CudaBackendOptions _options;
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly KernelLibrary _kernels;
    private readonly CublasLtGemm _gemm;
    private readonly StepBuffers _step;
    private readonly WeightUploader _uploader;
    private readonly Dictionary<GraphKey, CapturedStep> _graphs = [];
    private DeviceBuffer? _partials;
    private DeviceBuffer? _argmaxScratch;
    private PinnedHostBuffer? _readback;
    private KvCacheSpec? _stepCache;
    private int _ropeRows;

    // Graph state of the current step.
    private StepMode _mode;
    private GraphKey _key;
    private int _rowsOverride;
    private long _signature;
    private int _ops;

    private enum StepMode
    {
        Eager,

        /// <summary>First step of a new graph key: runs eagerly at the padded size so GEMM shapes get tuned before capture.</summary>
        WarmUp,
        Capturing,
        Replaying,
    }

    private CudaBackend(CudaBackendOptions options, CudaContext context)
    {
        _options = options;
        _context = context;
        _fuseGateUp = options.FuseGateUpActivation;
        _persistentDecode = options.PersistentDecode;
        try
        {
            _stream = CudaStream.Create(context);
            var compiler = NvrtcCompiler.Load(options.Libraries);
            var cache = options.KernelCacheDirectory is null ? KernelCache.Default() : new KernelCache(options.KernelCacheDirectory);
            _kernels = KernelLibrary.Load(context, compiler, cache, options.ProgrammaticLaunch);
            _kernels.GemvPrefetch = options.GemvPrefetch;
            _kernels.EarlyTrigger = options.EarlyTrigger;
            if (options.WgmmaPrefill)
            {
                WgmmaPrefillStatus = TryLoadWgmmaPrefill(context, compiler, cache);
            }
            _gemm = new CublasLtGemm(context, options.Libraries);
            _step = new StepBuffers(context);
            _uploader = new WeightUploader(context, _stream, _kernels, options.StagingBytes);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name => $"cuda:{_context.Info.Ordinal}";

    public CudaDeviceInfo Device => _context.Info;

    /// <summary>Whether the kernels came from the disk cache (no NVRTC run this start-up).</summary>
    public bool KernelsFromCache => _kernels.FromCache;

    /// <summary>Graphs captured so far (one per batch bucket and split count).</summary>
    public int CapturedGraphs => _graphs.Count;

    internal CudaContext Context => _context;

    internal CudaStream Stream => _stream;

    /// <summary>When set, every op of an eager step is timed (the bench's step profile); null in serving.</summary>
    internal StepOpTimer? OpTimer { get; set; }

    internal KernelLibrary Kernels => _kernels;

    internal CublasLtGemm Gemm => _gemm;

    /// <summary>Free and total device memory in bytes (after weights load, for KV sizing).</summary>
    public (long Free, long Total) MemoryInfo() => _context.MemoryInfo();

    /// <summary>
    /// KV blocks that fit in <paramref name="gpuMemoryUtilization"/> of the card given what is allocated now (call
    /// after the weights and activations are loaded), e.g. for <c>LlamaModel.AllocateKvCache</c>.
    /// </summary>
    public int PlanKvBlocks(int layers, int blockSize, int kvHeads, int headDim, double gpuMemoryUtilization)
    {
        _stream.Synchronize();
        var (free, total) = _context.MemoryInfo();
        return KvCachePlanner.Blocks(total, free, gpuMemoryUtilization, KvCachePlanner.BytesPerBlock(layers, blockSize, kvHeads, headDim));
    }

    /// <summary>Opens the GPU or explains why not (no libcuda, no device, no NVRTC, ...).</summary>
    public static bool TryCreate(CudaBackendOptions options, out CudaBackend? backend, out string error)
    {
        ArgumentNullException.ThrowIfNull(options);
        backend = null;
        if (!CudaContext.TryCreate(options.DeviceIndex, options.Libraries, out var context, out error))
        {
            return false;
        }

        try
        {
            backend = new CudaBackend(options, context!);
            return true;
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            context!.Dispose();
            error = e.Message;
            return false;
        }
    }

    /// <summary>Like <see cref="TryCreate"/>, throwing <see cref="BackendNotAvailableException"/> with the reason.</summary>
    public static CudaBackend Create(CudaBackendOptions options) =>
        TryCreate(options, out var backend, out var error) ? backend! : throw new BackendNotAvailableException($"CUDA backend unavailable: {error}");

    /// <summary>Registers "cuda" in <see cref="BackendRegistry"/> (call once at start-up in hosts that ship this assembly).</summary>
    public static void Register() =>
        BackendRegistry.Register("cuda", o => Create(new CudaBackendOptions { DeviceIndex = o.DeviceIndex }));

    public BackendTensor UploadWeight(IReadOnlyList<TensorView> parts)
    {
        EndGraphStep();
        return _uploader.Upload(parts);
    }

    public BackendTensor UploadFloats(ReadOnlySpan<float> data, int rows, int cols)
    {
        EndGraphStep();
        if (data.Length < (long)rows * cols)
        {
            throw new ArgumentException($"{data.Length} floats for a [{rows}×{cols}] tensor", nameof(data));
        }

        var tensor = NewTensor(rows, cols, CudaDType.F32);
        _stream.CopyToDevice(data[..(rows * cols)], tensor.Pointer);
        _stream.Synchronize();
        return tensor;
    }

    public BackendTensor Allocate(int rows, int cols)
    {
        EndGraphStep();
        var tensor = NewTensor(rows, cols, CudaDType.Bf16);
        _stream.Fill8(tensor.Pointer, 0, tensor.Bytes);
        return tensor;
    }

    /// <summary>A zeroed fp32 tensor (e.g. logits that should not round to bf16).</summary>
    public CudaTensor AllocateF32(int rows, int cols)
    {
        EndGraphStep();
        var tensor = NewTensor(rows, cols, CudaDType.F32);
        _stream.Fill8(tensor.Pointer, 0, tensor.Bytes);
        return tensor;
    }

    public BackendKvCache AllocateKvCache(KvCacheSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EndGraphStep();
        KernelLibrary.CheckAttentionShape(spec.NumKvHeads, spec.NumKvHeads, spec.HeadDim);
        KernelLibrary.CheckBlockSize(spec.BlockSize);
        var cache = new CudaKvCache(_context, spec);
        _stream.Fill8(cache.Buffer.Pointer, 0, cache.Buffer.Bytes);
        return cache;
    }

    public void PrepareStep(in StepBatch batch, BackendKvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        EndGraphStep();
        _context.MakeCurrent();
        batch.Validate(cache.Spec, needsTokenIds: false);
        _stepCache = cache.Spec;
        int bucket = GraphBucket(batch);
        _step.Load(batch, _stream, bucket);
        if (bucket == 0)
        {
            _mode = StepMode.Eager;
            _rowsOverride = 0;
            return;
        }

        _key = new GraphKey(bucket, SplitBucket(batch.MaxContextLength), ((CudaKvCache)cache).Id);
        _rowsOverride = bucket;
        _signature = 17;
        _ops = 0;
        if (_graphs.TryGetValue(_key, out var captured) && captured.Generation == _step.Generation)
        {
            _mode = StepMode.Replaying;
            return;
        }

        if (captured is not null)
        {
            captured.Dispose();
            _graphs.Remove(_key);
        }

        if (_warmedUp.Add(_key))
        {
            _mode = StepMode.WarmUp;
            return;
        }

        _mode = StepMode.Capturing;
        _capture = new GraphCapture(_stream);
    }

    private GraphCapture? _capture;
    private readonly HashSet<GraphKey> _warmedUp = [];

    public void Embedding(BackendTensor table, BackendTensor output)
    {
        var t = Bf16(table);
        var o = Bf16(output);
        if (!Record(BackendOp.Embedding, t, o))
        {
            return;
        }

        if (!_step.HasTokenIds)
        {
            throw new InvalidStepBatchException("the embedding needs token ids for every row");
        }

        CheckCols(o, t.Cols, "embedding output");
        _kernels.Embedding(_stream, t.Pointer, _step.TokenIds, o.Pointer, Rows(_step.NumTokens), t.Cols, t.Rows);
    }

    public void Linear(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows)
    {
        var x = Bf16(input);
        var w = Bf16(weight);
        var b = bias is null ? null : Bf16(bias);
        var y = Cuda(output);
        if (w.ProjectsToVocabulary && y.DType == CudaDType.Bf16)
        {
            // A promotion re-allocates, which a capture must not see: run what was captured so far once, keep no graph.
            EndGraphStep(keepCapture: false);
            y.PromoteToF32(_context);
        }

        if (!Record(BackendOp.Linear, x, w, y, b))
        {
            return;
        }

        if (x.Cols != w.Cols || y.Cols != w.Rows || (b is not null && (long)b.Rows * b.Cols != w.Rows))
        {
            throw new ArgumentException($"linear shapes: input {x}, weight {w}, bias {b}, output {y}");
        }

        rows = Rows(rows);
        CheckRows(rows, x, y);
        if (rows <= KernelLibrary.GemvMaxRows)
        {
            _kernels.Gemv(_stream, x.Pointer, w.Pointer, b?.Pointer ?? 0, y.Pointer, rows, w.Rows, w.Cols, y.DType == CudaDType.F32);
            return;
        }

        _gemm.Run(_stream, new GemmShape(rows, w.Rows, w.Cols, b is not null, y.DType == CudaDType.F32), x.Pointer, w.Pointer, b?.Pointer ?? 0, y.Pointer,
            allowTuning: _mode == StepMode.WarmUp);
    }

    public void RmsNorm(BackendTensor input, BackendTensor weight, float epsilon, BackendTensor output, int rows)
    {
        var x = Bf16(input);
        var w = Bf16(weight);
        var y = Bf16(output);
        if (!Record(BackendOp.RmsNorm, x, w, y))
        {
            return;
        }

        rows = Rows(rows);
        CheckRows(rows, x, y);
        _kernels.AddRmsNorm(_stream, x.Pointer, 0, w.Pointer, y.Pointer, rows, x.Cols, epsilon);
    }

    public void AddRmsNorm(BackendTensor input, BackendTensor residual, BackendTensor weight, float epsilon, BackendTensor output, int rows)
    {
        var x = Bf16(input);
        var r = Bf16(residual);
        var w = Bf16(weight);
        var y = Bf16(output);
        if (!Record(BackendOp.AddRmsNorm, x, r, w, y))
        {
            return;
        }

        rows = Rows(rows);
        CheckRows(rows, x, y);
        CheckRows(rows, r, r);
        _kernels.AddRmsNorm(_stream, x.Pointer, r.Pointer, w.Pointer, y.Pointer, rows, x.Cols, epsilon);
    }

    public void HeadRmsNorm(BackendTensor x, int firstColumn, int numHeads, int headDim, BackendTensor weight, float epsilon, int rows)
    {
        var t = Bf16(x);
        var w = Bf16(weight);
        if (!Record(BackendOp.HeadRmsNorm, t, w))
        {
            return;
        }

        if (headDim > 256 || firstColumn < 0 || firstColumn + (numHeads * headDim) > t.Cols)
        {
            throw new ArgumentException($"head norm of {numHeads}×{headDim} at column {firstColumn} does not fit {t}");
        }

        rows = Rows(rows);
        CheckRows(rows, t, t);
        _kernels.HeadRmsNorm(_stream, t.Pointer, t.Cols, firstColumn, numHeads, headDim, w.Pointer, epsilon, rows);
    }

    public void RopeAndWriteKv(BackendTensor qkv, AttentionShape shape, BackendTensor cosSin, BackendKvCache cache, int layer)
    {
        var t = Bf16(qkv);
        var table = Cuda(cosSin);
        var kv = Kv(cache);
        if (!Record(BackendOp.RopeAndWriteKv, t, table, null, null, layer))
        {
            return;
        }

        if (table.DType != CudaDType.F32 || table.Cols != shape.HeadDim)
        {
            throw new ArgumentException($"the RoPE table must be fp32 [positions × {shape.HeadDim}], got {table}");
        }

        if (_step.MaxPosition >= table.Rows)
        {
            throw new InvalidStepBatchException($"position {_step.MaxPosition} beyond the RoPE table's {table.Rows} positions");
        }

        _ropeRows = table.Rows;
        CheckQkv(t, shape);
        _kernels.RopeAndCache(_stream, t.Pointer, _step.Positions, table.Pointer, _step.Slots, kv.Keys(layer), kv.Values(layer),
            0, 0, Rows(_step.NumTokens), shape.NumHeads, shape.NumKvHeads, shape.HeadDim, kv.Spec.BlockSize, 1e-6f);
    }

    public void Attention(BackendTensor qkv, AttentionShape shape, BackendKvCache cache, int layer, float scale, BackendTensor output)
    {
        var t = Bf16(qkv);
        var kv = Kv(cache);
        var o = Bf16(output);
        if (!Record(BackendOp.Attention, t, o, null, null, layer))
        {
            return;
        }

        CheckQkv(t, shape);
        KernelLibrary.CheckAttentionShape(shape.NumHeads, shape.NumKvHeads, shape.HeadDim);
        CheckCols(o, shape.QWidth, "attention output");
        var spec = kv.Spec;
        if (_mode != StepMode.Eager || _step.MaxQueryLength == 1)
        {
            int seqs = Rows(_step.NumSeqs);
            int splits = _mode != StepMode.Eager ? _key.Splits : KernelLibrary.DecodeSplits(_step.MaxContextLength);
            // Sized in warm-up too: the capture that follows must not reallocate the split scratch.
            var (acc, ml) = DecodeScratch(seqs, shape, spec.BlockSize, splits);
            _kernels.DecodeAttention(_stream, t.Pointer, t.Cols, o.Pointer, acc, ml, kv.Keys(layer), kv.Values(layer), _step.BlockTables,
                _step.TableStride, _step.ContextLengths, seqs, shape.NumHeads, shape.NumKvHeads, shape.HeadDim, spec.BlockSize, scale, splits);
        }
        else
        {
            // A mixed step: the leading single-token queries (decodes) take the decode kernel, which reads each K/V
            // byte once per GQA group; in the prefill kernel each would be a 64-query tile per q head with one live row.
            int decodes = _step.LeadingDecodes;
            if (decodes > 0)
            {
                int splits = KernelLibrary.DecodeSplits(_step.LeadingDecodeMaxContext);
                var (acc, ml) = DecodeScratch(decodes, shape, spec.BlockSize, splits);
                _kernels.DecodeAttention(_stream, t.Pointer, t.Cols, o.Pointer, acc, ml, kv.Keys(layer), kv.Values(layer), _step.BlockTables,
                    _step.TableStride, _step.ContextLengths, decodes, shape.NumHeads, shape.NumKvHeads, shape.HeadDim, spec.BlockSize, scale, splits);
            }

            // The rest by offsets into the step's arrays: query starts stay absolute rows of q and the output.
            ulong seqOffset = 4UL * (ulong)decodes;
            _kernels.PrefillAttention(_stream, t.Pointer, t.Cols, o.Pointer, kv.Keys(layer), kv.Values(layer),
                _step.BlockTables + (seqOffset * (ulong)_step.TableStride), _step.TableStride, _step.QueryStarts + seqOffset,
                _step.ContextLengths + seqOffset, _step.NumSeqs - decodes, _step.MaxQueryLength, shape.NumHeads, shape.NumKvHeads,
                shape.HeadDim, spec.BlockSize, scale);
        }
    }

    public void SiluAndMul(BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        var g = Bf16(gateUp);
        var o = Bf16(output);
        if (!Record(BackendOp.SiluAndMul, g, o))
        {
            return;
        }

        if (g.Cols != 2 * width || o.Cols != width)
        {
            throw new ArgumentException($"silu-and-mul of width {width}: gate-up {g}, output {o}");
        }

        rows = Rows(rows);
        CheckRows(rows, g, o);
        _kernels.SiluAndMul(_stream, g.Pointer, o.Pointer, rows, width);
    }

    public void GatherLogitRows(BackendTensor input, BackendTensor output)
    {
        var x = Bf16(input);
        var y = Bf16(output);
        if (!Record(BackendOp.GatherLogitRows, x, y))
        {
            return;
        }

        CheckCols(y, x.Cols, "gathered rows");
        int rows = Rows(_step.NumLogitRows);
        CheckRows(rows, y, y);
        _kernels.GatherRows(_stream, x.Pointer, _step.LogitRows, y.Pointer, rows, x.Cols);
    }

    public void CopyKvBlock(BackendKvCache cache, int source, int destination)
    {
        EndGraphStep();
        var kv = Kv(cache);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)source, (uint)kv.Spec.NumBlocks, nameof(source));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)destination, (uint)kv.Spec.NumBlocks, nameof(destination));
        for (int l = 0; l < kv.Spec.NumLayers; l++)
        {
            _stream.CopyDeviceToDevice(kv.Keys(l) + (ulong)(source * kv.BlockBytes), kv.Keys(l) + (ulong)(destination * kv.BlockBytes), kv.BlockBytes);
            _stream.CopyDeviceToDevice(kv.Values(l) + (ulong)(source * kv.BlockBytes), kv.Values(l) + (ulong)(destination * kv.BlockBytes), kv.BlockBytes);
        }
    }

    public void CopyToHost(BackendTensor source, int rows, Span<float> destination)
    {
        EndGraphStep();
        var t = Cuda(source);
        CheckRows(rows, t, t);
        long count = (long)rows * t.Cols;
        if (destination.Length < count)
        {
            throw new ArgumentException($"{destination.Length} floats cannot hold {rows}×{t.Cols}", nameof(destination));
        }

        var staging = EnsureReadback(count * t.ElementSize);
        _stream.CopyToHost(t.Pointer, staging, 0, count * t.ElementSize);
        _stream.Synchronize();
        if (t.DType == CudaDType.F32)
        {
            staging.AsSpan<float>()[..(int)count].CopyTo(destination);
        }
        else
        {
            var bits = staging.AsSpan<ushort>()[..(int)count];
            for (int i = 0; i < bits.Length; i++)
            {
                destination[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
            }
        }
    }

    public void CopyFromHost(ReadOnlySpan<float> source, BackendTensor destination, int rows)
    {
        EndGraphStep();
        var t = Cuda(destination);
        CheckRows(rows, t, t);
        int count = rows * t.Cols;
        if (source.Length < count)
        {
            throw new ArgumentException($"{source.Length} floats for {rows}×{t.Cols}", nameof(source));
        }

        var staging = EnsureReadback((long)count * t.ElementSize);
        if (t.DType == CudaDType.F32)
        {
            source[..count].CopyTo(staging.AsSpan<float>());
        }
        else
        {
            DTypeConversion.Narrow(TensorDType.BF16, source[..count], staging.AsSpan<byte>());
        }

        _stream.CopyToDevice(staging, 0, t.Pointer, (long)count * t.ElementSize);
        _stream.Synchronize();
    }

    /// <summary>
    /// Greedy tokens and their logprobs for the first <paramref name="rows"/> rows of <paramref name="logits"/>,
    /// computed on the GPU (only rows × 8 bytes cross PCIe).
    /// </summary>
    public void ArgmaxLogits(BackendTensor logits, int rows, Span<int> tokens, Span<float> logprobs)
    {
        EndGraphStep();
        var l = Cuda(logits);
        CheckRows(rows, l, l);
        int chunks = KernelLibrary.ArgmaxChunks(l.Cols);
        long f32Bytes = l.DType == CudaDType.F32 ? 0 : 4L * rows * l.Cols;
        long scratchBytes = (12L * rows * chunks) + (8L * rows);
        var scratch = EnsureArgmaxScratch(f32Bytes + scratchBytes);
        ulong input = l.Pointer;
        if (l.DType == CudaDType.Bf16)
        {
            input = scratch.Pointer;
            _kernels.Bf16ToF32(_stream, l.Pointer, input, (long)rows * l.Cols);
        }

        ulong partial = scratch.At(f32Bytes), outTokens = scratch.At(f32Bytes + (12L * rows * chunks)), outLogprobs = outTokens + (ulong)(4 * rows);
        _kernels.Argmax(_stream, input, rows, l.Cols, partial, outTokens, outLogprobs);
        _stream.CopyToHost(outTokens, tokens[..rows]);
        _stream.CopyToHost(outLogprobs, logprobs[..rows]);
    }

    public void Synchronize()
    {
        EndGraphStep();
        _stream.Synchronize();
    }

    public void Dispose()
    {
        foreach (var g in _graphs.Values)
        {
            g.Dispose();
        }

        _graphs.Clear();
        _partials?.Dispose();
        DisposePersistentDecode();
        _argmaxScratch?.Dispose();
        _readback?.Dispose();
        _uploader?.Dispose();
        _step?.Dispose();
        _gemm?.Dispose();
        _kernels?.Dispose();
        _stream?.Dispose();
        _context.Dispose();
    }

    // ---- graph capture / replay ----

    private void DropGraphs()
    {
        foreach (var g in _graphs.Values)
        {
            g.Dispose();
        }

        _graphs.Clear();
    }

    private int GraphBucket(in StepBatch batch)
    {
        if (!_options.UseGraphs || batch.NumTokens == 0 || batch.MaxQueryLength != 1 || batch.NumSeqs != batch.NumTokens ||
            batch.NumLogitRows != batch.NumSeqs)
        {
            return 0;
        }

        for (int i = 0; i < batch.NumLogitRows; i++)
        {
            if (batch.LogitRows[i] != i)
            {
                return 0;
            }
        }

        foreach (var b in _options.GraphBuckets)
        {
            if (b >= batch.NumSeqs)
            {
                return b;
            }
        }

        return 0;
    }

    private static int SplitBucket(int maxContext)
    {
        int splits = KernelLibrary.DecodeSplits(maxContext);
        int bucket = 1;
        while (bucket < splits)
        {
            bucket *= 2;
        }

        return bucket;
    }

    /// <summary>Counts the op into the step signature; false when a replayed graph does the work instead.</summary>
    private bool Record(BackendOp op, CudaTensor a, CudaTensor? b = null, CudaTensor? c = null, CudaTensor? d = null, int extra = 0)
    {
        if (_mode is StepMode.Eager or StepMode.WarmUp)
        {
            _context.MakeCurrent();
            // A linear op's weight is its second tensor: its rows tell qkv, o/down, gate_up and the LM head apart.
            OpTimer?.Mark(_stream, op, op is BackendOp.Linear or BackendOp.LinearSiluAndMul ? b!.Rows : 0);
            return true;
        }

        _signature = HashCode.Combine(_signature, (int)op, a.Pointer, b?.Pointer ?? 0, c?.Pointer ?? 0, d?.Pointer ?? 0, extra);
        _ops++;
        return _mode == StepMode.Capturing;
    }

    private int Rows(int rows) => _mode == StepMode.Eager ? rows : _rowsOverride;

    /// <summary>Closes the current graph step: finishes a capture and launches it, or launches the replay.</summary>
    private void EndGraphStep(bool keepCapture = true)
    {
        var mode = _mode;
        _mode = StepMode.Eager;
        if (mode == StepMode.Capturing)
        {
            var graph = _capture!.End();
            _capture = null;
            if (!keepCapture)
            {
                graph.Launch(_stream);
                _stream.Synchronize();
                graph.Dispose();
                return;
            }

            var captured = new CapturedStep(graph, _signature, _ops, _step.Generation);
            _graphs[_key] = captured;
            captured.Graph.Launch(_stream);
        }
        else if (mode == StepMode.Replaying)
        {
            var captured = _graphs[_key];
            if (captured.Signature != _signature || captured.Ops != _ops)
            {
                captured.Dispose();
                _graphs.Remove(_key);
                throw new InvalidOperationException(
                    $"decode step diverged from its captured graph ({_ops} ops vs {captured.Ops}); graphs assume the model issues the same calls every decode step");
            }

            captured.Graph.Launch(_stream);
        }
    }

    // ---- helpers ----

    private CudaTensor NewTensor(int rows, int cols, CudaDType dtype)
    {
        long bytes = Math.Max(1L, (long)rows * cols) * (dtype == CudaDType.Bf16 ? 2 : 4);
        return new CudaTensor(DeviceBuffer.Allocate(_context, bytes), rows, cols, dtype);
    }

    // The decode kernel's split-K scratch: accumulators, then (max, sum) pairs; (0, 0) when the launch does not split.
    private (ulong Acc, ulong Ml) DecodeScratch(int seqs, AttentionShape shape, int blockSize, int splits)
    {
        long bytes = _kernels.DecodeScratchBytes(seqs, shape.NumHeads, shape.NumKvHeads, shape.HeadDim, blockSize, splits);
        if (bytes == 0)
        {
            return (0, 0);
        }

        int count = _kernels.DecodePartitioning(seqs, shape.NumHeads, shape.NumKvHeads, shape.HeadDim, blockSize, splits).Count;
        var partials = EnsurePartials(bytes);
        return (partials.Pointer, partials.At(4L * seqs * shape.NumHeads * count * shape.HeadDim));
    }

    private DeviceBuffer EnsurePartials(long bytes)
    {
        if (_partials is null || _partials.Bytes < bytes)
        {
            // Captured graphs hold the old address: they go with it.
            if (_partials is not null && _mode == StepMode.Capturing)
            {
                throw new InvalidOperationException("decode scratch grew during a graph capture");
            }

            DropGraphs();
            _partials?.Dispose();
            _partials = DeviceBuffer.Allocate(_context, Math.Max(bytes, 1L << 20));
        }

        return _partials;
    }

    private DeviceBuffer EnsureArgmaxScratch(long bytes)
    {
        if (_argmaxScratch is null || _argmaxScratch.Bytes < bytes)
        {
            _stream.Synchronize();
            _argmaxScratch?.Dispose();
            _argmaxScratch = DeviceBuffer.Allocate(_context, Math.Max(bytes, 1L << 20));
        }

        return _argmaxScratch;
    }

    private PinnedHostBuffer EnsureReadback(long bytes)
    {
        if (_readback is null || _readback.Bytes < bytes)
        {
            _stream.Synchronize();
            _readback?.Dispose();
            _readback = PinnedHostBuffer.Allocate(_context, Math.Max(bytes, 1L << 20));
        }

        return _readback;
    }

    private static CudaTensor Cuda(BackendTensor tensor) =>
        tensor as CudaTensor ?? throw new ArgumentException($"{tensor} was not made by the CUDA backend", nameof(tensor));

    private static CudaTensor Bf16(BackendTensor tensor)
    {
        var t = Cuda(tensor);
        return t.DType == CudaDType.Bf16 ? t : throw new ArgumentException($"{t} must be bf16 for this op", nameof(tensor));
    }

    private CudaKvCache Kv(BackendKvCache cache)
    {
        var kv = cache as CudaKvCache ?? throw new ArgumentException("the KV cache was not made by the CUDA backend", nameof(cache));
        if (_stepCache is null)
        {
            throw new InvalidOperationException("call PrepareStep before the step's ops");
        }

        return kv;
    }

    private static void CheckRows(int rows, CudaTensor a, CudaTensor b)
    {
        if (rows < 0 || rows > a.Rows || rows > b.Rows)
        {
            throw new InvalidStepBatchException($"{rows} rows exceed {a} or {b}");
        }
    }

    private static void CheckCols(CudaTensor t, int cols, string what)
    {
        if (t.Cols != cols)
        {
            throw new ArgumentException($"{what}: expected {cols} columns, got {t}");
        }
    }

    private void CheckQkv(CudaTensor t, AttentionShape shape)
    {
        CheckCols(t, shape.QkvWidth, "fused QKV");
        CheckRows(Rows(_step.NumTokens), t, t);
    }
}
