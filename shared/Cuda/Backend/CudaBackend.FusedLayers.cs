using LlmServe.Cuda.Kernels;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

// The fused layer ops (IFusedLayerOps): small steps run each norm, residual add and SiLU inside a decode GEMV,
// so a layer is six kernels instead of ten. Each is bit-identical to the unfused calls (bench/CudaCheck checks it).
public sealed partial class CudaBackend
{
    private bool _fuseLayers;

    /// <summary>Whether small steps use the fused layer ops; starts from <see cref="CudaBackendOptions.FuseLayers"/>.</summary>
    /// <remarks>Changing it drops the captured graphs (their op sequence changes).</remarks>
    public bool FuseLayers
    {
        get => _fuseLayers;
        set
        {
            if (value != _fuseLayers)
            {
                _stream.Synchronize();
                DropGraphs();
                _fuseLayers = value;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Asked after <see cref="PrepareStep"/>: a graph step's rows are its padded bucket.</remarks>
    public bool CanFuse(int rows, int hidden) => _fuseLayers && KernelLibrary.FusesNorm(Rows(rows), hidden);

    public void LinearAddResidual(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor residual, int rows)
    {
        var x = Bf16(input);
        var w = Bf16(weight);
        var b = bias is null ? null : Bf16(bias);
        var r = Bf16(residual);
        if (!Record(10, x, w, r, b))
        {
            return;
        }

        if (x.Cols != w.Cols || r.Cols != w.Rows || (b is not null && (long)b.Rows * b.Cols != w.Rows))
        {
            throw new ArgumentException($"linear into the residual: input {x}, weight {w}, bias {b}, residual {r}");
        }

        rows = Rows(rows);
        CheckRows(rows, x, r);
        if (rows > KernelLibrary.GemvMaxRows)
        {
            throw new InvalidOperationException($"the residual-adding GEMV takes up to {KernelLibrary.GemvMaxRows} rows, not {rows}");
        }

        _kernels.GemvAddResidual(_stream, x.Pointer, w.Pointer, b?.Pointer ?? 0, r.Pointer, rows, w.Rows, w.Cols);
    }

    public void NormLinear(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows)
    {
        var r = Bf16(residual);
        var g = Bf16(normWeight);
        var w = Bf16(weight);
        var b = bias is null ? null : Bf16(bias);
        var y = Bf16(output);
        if (!Record(11, r, w, y, b, NormKey(g, epsilon)))
        {
            return;
        }

        if (r.Cols != w.Cols || (long)g.Rows * g.Cols != r.Cols || y.Cols != w.Rows || (b is not null && (long)b.Rows * b.Cols != w.Rows))
        {
            throw new ArgumentException($"norm then linear: residual {r}, norm {g}, weight {w}, bias {b}, output {y}");
        }

        rows = FusedRows(rows, r, y);
        _kernels.GemvNorm(_stream, r.Pointer, g.Pointer, epsilon, w.Pointer, b?.Pointer ?? 0, y.Pointer, rows, w.Rows, w.Cols, outputF32: false);
    }

    public void NormLinearSiluAndMul(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        var r = Bf16(residual);
        var g = Bf16(normWeight);
        var w = Bf16(gateUp);
        var y = Bf16(output);
        if (!Record(12, r, w, y, null, NormKey(g, epsilon)))
        {
            return;
        }

        if (r.Cols != w.Cols || (long)g.Rows * g.Cols != r.Cols || w.Rows != 2 * width || y.Cols != width)
        {
            throw new ArgumentException($"norm, gate-up and silu of width {width}: residual {r}, norm {g}, gate-up {w}, output {y}");
        }

        rows = FusedRows(rows, r, y);
        _kernels.GemvNormSiluAndMul(_stream, r.Pointer, g.Pointer, epsilon, w.Pointer, y.Pointer, rows, width, w.Cols);
    }

    private int FusedRows(int rows, CudaTensor input, CudaTensor output)
    {
        rows = Rows(rows);
        CheckRows(rows, input, output);
        if (!KernelLibrary.FusesNorm(rows, input.Cols))
        {
            throw new InvalidOperationException($"fused layer ops take the steps CanFuse accepts, not {rows} rows of {input.Cols}");
        }

        return rows;
    }

    private static int NormKey(CudaTensor norm, float epsilon) => HashCode.Combine(norm.Pointer, epsilon);
}
