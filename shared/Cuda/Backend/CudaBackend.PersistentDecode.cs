using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;

namespace LlmServe.Cuda.Backend;

// One-token decode steps as one persistent kernel (IPersistentDecodeLayers, decode_layers.cu): every layer of the stage
// in one launch, the weights streamed through shared memory without gaps between ops. What it needs besides the step's
// buffers is prepared once per layer set and cache, outside graph captures: a device table of each layer's weight and
// cache addresses, the attention partials and the grid-barrier words.
public sealed partial class CudaBackend : IPersistentDecodeLayers
{
    private bool _persistentDecode;
    private DecodeLayerSet? _pdSet;
    private PersistentDecodePlan? _pdPlan;
    private readonly Dictionary<long, DeviceBuffer> _pdTables = [];   // by KV cache id: the cache addresses are in the table
    private DeviceBuffer? _pdScratch;

    /// <summary>
    /// Whether one-token decode steps run their layers as one persistent kernel where the layers fit it; starts from
    /// <see cref="CudaBackendOptions.PersistentDecode"/> (false for the bench's A/B).
    /// </summary>
    public bool PersistentDecode
    {
        get => _persistentDecode;
        set
        {
            if (value != _persistentDecode)
            {
                _stream.Synchronize();
                DropGraphs();
                _persistentDecode = value;
            }
        }
    }

    /// <summary>Bench-only stage removal for timing (see <see cref="KernelLibrary.PersistentDecodeTimingFlags"/>); 0 in production.</summary>
    public int PersistentDecodeTimingFlags
    {
        get => _kernels.PersistentDecodeTimingFlags;
        set => SetPersistentKnob(() => _kernels.PersistentDecodeTimingFlags = value, value != _kernels.PersistentDecodeTimingFlags);
    }

    /// <summary>Why the last layer set was not taken by the persistent kernel (null when it was, or none was offered).</summary>
    public string? PersistentDecodeRefusal { get; private set; }

    public bool TryRunDecodeLayers(DecodeLayerSet set, BackendKvCache cache, int rows, bool residualHoldsInput)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (!_persistentDecode || Rows(rows) != 1 || _step.NumSeqs != 1 || _step.NumTokens != 1 || _step.MaxQueryLength != 1)
        {
            return false;
        }

        var kv = Kv(cache);
        if (!ReferenceEquals(set, _pdSet))
        {
            _pdSet = set;
            DisposePersistentDecode();
            _pdPlan = PlanFor(set, out var refusal);
            PersistentDecodeRefusal = refusal;
        }

        var plan = _pdPlan;
        if (plan is null)
        {
            return false;
        }

        var a = set.Activations;
        var hidden = Bf16(a.Hidden);
        var residual = Bf16(a.Residual);
        var qkv = Bf16(a.Qkv);
        var attn = Bf16(a.Attention);
        var act = Bf16(a.Activated);
        var table = Cuda(set.CosSin);
        if (_step.MaxPosition >= table.Rows)
        {
            throw new InvalidStepBatchException($"position {_step.MaxPosition} beyond the RoPE table's {table.Rows} positions");
        }

        if (!_pdTables.TryGetValue(kv.Id, out var layerTable))
        {
            // The table and scratch go to the device outside any capture: a capture in progress runs once, uncaptured.
            // (A replay never gets here: its warm-up step made the table.)
            if (_mode == StepMode.Capturing)
            {
                EndGraphStep(keepCapture: false);
            }

            layerTable = PrepareTable(set, kv, plan);
        }

        if (!Record(BackendOp.PersistentDecodeLayers, hidden, residual, qkv, attn, (set.Layers.Count * 2) + (residualHoldsInput ? 1 : 0)))
        {
            return true;
        }

        var shape = set.Shape;
        var (accFloats, _, syncBytes) = KernelLibrary.PersistentDecodeScratch(plan, shape.NumHeads, shape.NumKvHeads);
        ulong acc = _pdScratch!.Pointer;
        ulong ml = acc + (ulong)(4 * accFloats);
        ulong sync = _pdScratch.At(_pdScratch.Bytes - syncBytes);
        _ropeRows = table.Rows;
        var args = new PersistentDecodeArgs(layerTable.Pointer, set.Layers.Count, residualHoldsInput, hidden.Pointer, residual.Pointer, qkv.Pointer,
            attn.Pointer, act.Pointer, acc, ml, sync, _step.Positions, _step.Slots, _step.BlockTables, _step.ContextLengths, table.Pointer,
            hidden.Cols, set.IntermediateSize, shape.NumHeads, shape.NumKvHeads, kv.Spec.BlockSize, set.RmsNormEpsilon, set.AttentionScale);
        _kernels.PersistentDecode(_stream, plan, args);
        return true;
    }

    // Launch parameters are baked into captured graphs: a change drops them.
    private void SetPersistentKnob(Action set, bool changed)
    {
        if (changed)
        {
            _stream.Synchronize();
            DropGraphs();
            set();
        }
    }

    // The kernel's plan for these layers, or null (with the reason) when a layer or the shape is not what it takes.
    private PersistentDecodePlan? PlanFor(DecodeLayerSet set, out string? refusal)
    {
        refusal = Refusal(set);
        if (refusal is not null)
        {
            return null;
        }

        var s = set.Shape;
        int hidden = set.Activations.Hidden.Cols;
        var plan = _kernels.PlanPersistentDecode(hidden, set.IntermediateSize, s.NumHeads, s.NumKvHeads, s.HeadDim, _context.Info.MaxSharedMemoryPerBlockOptin);
        refusal = plan is null ? $"shape not taken by the kernel (head size {s.HeadDim}, {s.NumHeads}/{s.NumKvHeads} heads, hidden {hidden}, intermediate {set.IntermediateSize})" : null;
        return plan;
    }

    private string? Refusal(DecodeLayerSet set)
    {
        if (_context.Info.ComputeMajor < 9)
        {
            return $"needs sm_90 (bulk copies, mbarriers), this GPU is {_context.Info.Arch}";
        }

        if (set.Layers.Count == 0)
        {
            return "no layers";
        }

        var s = set.Shape;
        int h = set.Activations.Hidden.Cols, inter = set.IntermediateSize;
        if (Cuda(set.CosSin).DType != CudaDType.F32 || set.CosSin.Cols != s.HeadDim)
        {
            return "the RoPE table is not fp32 [positions × head size]";
        }

        foreach (var l in set.Layers)
        {
            if (l.QkvBias is not null || l.OutputBias is not null || l.QNorm is not null || l.KNorm is not null)
            {
                return "layers with biases or q/k norms";
            }

            if (!Fits(l.InputNorm, 1, h) || !Fits(l.PostAttentionNorm, 1, h) || !Fits(l.Qkv, s.QkvWidth, h) || !Fits(l.Output, h, s.QWidth) ||
                !Fits(l.GateUp, 2 * inter, h) || !Fits(l.Down, h, inter))
            {
                return "a layer weight is not bf16 of the expected shape, or not 16-byte aligned";
            }
        }

        var a = set.Activations;
        return Fits(a.Residual, -1, h) && Fits(a.Qkv, -1, s.QkvWidth) && Fits(a.Attention, -1, s.QWidth) && Fits(a.Activated, -1, inter)
            ? null
            : "a step buffer is not bf16 of the expected width";
    }

    // bf16, [rows × cols] (rows -1: any), 16-byte aligned (the bulk copies and 16-byte loads need it).
    private static bool Fits(BackendTensor tensor, int rows, int cols) =>
        tensor is CudaTensor t && t.DType == CudaDType.Bf16 && (rows < 0 || t.Rows == rows) && t.Cols == cols && t.Pointer % 16 == 0;

    private DeviceBuffer PrepareTable(DecodeLayerSet set, CudaKvCache kv, PersistentDecodePlan plan)
    {
        _stream.Synchronize();
        const int pointers = 8;   // struct DecodeLayer
        var host = new ulong[set.Layers.Count * pointers];
        for (int i = 0; i < set.Layers.Count; i++)
        {
            var l = set.Layers[i];
            var row = host.AsSpan(i * pointers, pointers);
            row[0] = Bf16(l.InputNorm).Pointer;
            row[1] = Bf16(l.Qkv).Pointer;
            row[2] = Bf16(l.Output).Pointer;
            row[3] = Bf16(l.PostAttentionNorm).Pointer;
            row[4] = Bf16(l.GateUp).Pointer;
            row[5] = Bf16(l.Down).Pointer;
            row[6] = kv.Keys(i);
            row[7] = kv.Values(i);
        }

        var table = DeviceBuffer.Allocate(_context, 8L * host.Length);
        _stream.CopyToDevice<ulong>(host, table.Pointer);
        _pdTables[kv.Id] = table;
        var (acc, ml, sync) = KernelLibrary.PersistentDecodeScratch(plan, set.Shape.NumHeads, set.Shape.NumKvHeads);
        long bytes = (4 * (acc + ml)) + sync;
        if (_pdScratch is null)
        {
            // The barrier words start at zero, and each launch leaves them at zero.
            _pdScratch = DeviceBuffer.Allocate(_context, bytes);
            _stream.Fill8(_pdScratch.Pointer, 0, bytes);
        }

        _stream.Synchronize();
        return table;
    }

    // Tables and scratch of the current layer set; captured graphs hold their addresses, so they go too.
    private void DisposePersistentDecode()
    {
        if (_pdTables.Count > 0 || _pdScratch is not null)
        {
            DropGraphs();
        }

        foreach (var t in _pdTables.Values)
        {
            t.Dispose();
        }

        _pdTables.Clear();
        _pdScratch?.Dispose();
        _pdScratch = null;
    }
}
