using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

// Kernel choices that change what a step launches (changing one drops the captured graphs), and the fused gate_up +
// SiLU-and-mul of small steps (IFusedGateUpActivation), bit-identical to the two unfused kernels.
public sealed partial class CudaBackend
{
    private bool _fuseGateUp;

    /// <summary>Whether steps of up to <see cref="KernelLibrary.GemvMaxRows"/> rows apply SiLU-and-mul inside gate_up's GEMV; starts from <see cref="CudaBackendOptions.FuseGateUpActivation"/>.</summary>
    public bool FuseGateUpActivation
    {
        get => _fuseGateUp;
        set
        {
            if (value != _fuseGateUp)
            {
                _stream.Synchronize();
                DropGraphs();
                _fuseGateUp = value;
            }
        }
    }

    /// <summary>Whether grouped-query decode attention runs on tensor cores (default; false for the bench's A/B).</summary>
    public bool DecodeOnTensorCores
    {
        get => _kernels.DecodeOnTensorCores;
        set
        {
            if (value != _kernels.DecodeOnTensorCores)
            {
                _stream.Synchronize();
                DropGraphs();
                _kernels.DecodeOnTensorCores = value;
            }
        }
    }

    /// <summary>Weight loads a decode GEMV lane issues before its grid wait (see <see cref="KernelLibrary.GemvPrefetch"/>).</summary>
    public int GemvPrefetch
    {
        get => _kernels.GemvPrefetch;
        set
        {
            if (value != _kernels.GemvPrefetch)
            {
                _stream.Synchronize();
                DropGraphs();
                _kernels.GemvPrefetch = value;
            }
        }
    }

    /// <summary>Whether short decode kernels let their successor launch before they wait (see <see cref="KernelLibrary.EarlyTrigger"/>).</summary>
    public bool EarlyTrigger
    {
        get => _kernels.EarlyTrigger;
        set
        {
            if (value != _kernels.EarlyTrigger)
            {
                _stream.Synchronize();
                DropGraphs();
                _kernels.EarlyTrigger = value;
            }
        }
    }

    /// <summary>"off" unless <see cref="CudaBackendOptions.WgmmaPrefill"/>; then "loaded" or why it did not load.</summary>
    public string WgmmaPrefillStatus { get; private set; } = "off";

    /// <summary>Whether prefill attention runs on the wgmma kernel (only where it loaded; see <see cref="KernelLibrary.PrefillOnWgmma"/>).</summary>
    public bool PrefillOnWgmma
    {
        get => _kernels.PrefillOnWgmma;
        set => _kernels.PrefillOnWgmma = value && _kernels.HasWgmmaPrefill;
    }

    /// <summary>Whether prefill attention double-buffers its K/V tiles (see <see cref="KernelLibrary.PrefillDoubleBuffered"/>).</summary>
    public bool PrefillDoubleBuffered
    {
        get => _kernels.PrefillDoubleBuffered;
        set => _kernels.PrefillDoubleBuffered = value;
    }

    /// <inheritdoc/>
    /// <remarks>A graph step's rows are its padded bucket.</remarks>
    public bool FusesGateUpActivation(int rows) => _fuseGateUp && Rows(rows) <= KernelLibrary.GemvMaxRows;

    public void LinearSiluAndMul(BackendTensor input, BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        var x = Bf16(input);
        var w = Bf16(gateUp);
        var y = Bf16(output);
        if (!Record(BackendOp.LinearSiluAndMul, x, w, y, null, width))
        {
            return;
        }

        if (x.Cols != w.Cols || w.Rows != 2 * width || y.Cols != width)
        {
            throw new ArgumentException($"gate-up and silu of width {width}: input {x}, gate-up {w}, output {y}");
        }

        rows = Rows(rows);
        CheckRows(rows, x, y);
        if (rows > KernelLibrary.GemvMaxRows)
        {
            throw new InvalidOperationException($"the fused gate-up takes up to {KernelLibrary.GemvMaxRows} rows, not {rows}: ask FusesGateUpActivation first");
        }

        _kernels.GemvSiluAndMul(_stream, x.Pointer, w.Pointer, y.Pointer, rows, width, w.Cols);
    }

    // A failure to build or load the optional module leaves the backend as it was: the mma.sync kernel runs.
    private string TryLoadWgmmaPrefill(CudaContext context, NvrtcCompiler compiler, KernelCache cache)
    {
        try
        {
            _kernels.LoadWgmmaPrefill(context, compiler, cache);
            return "loaded";
        }
        catch (Exception e) when (e is CudaException or NotSupportedException or InvalidOperationException)
        {
            return $"not loaded: {e.Message}";
        }
    }
}
