namespace LlmServe.Inference.Backends;

/// <summary>
/// An opaque 2-D buffer owned by a backend: [Rows × Cols] elements, row-major. The CPU backend keeps fp32 in
/// managed memory; a CUDA backend keeps a device pointer (and may store bf16). Only the backend that made a
/// tensor may use it; model code only passes handles back into <see cref="IBackend"/> calls.
/// </summary>
public abstract class BackendTensor : IDisposable
{
    protected BackendTensor(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Rows = rows;
        Cols = cols;
    }

    /// <summary>Capacity in rows (activations: the maximum tokens per step; weights: output features).</summary>
    public int Rows { get; }

    /// <summary>Row width in elements (weights: input features).</summary>
    public int Cols { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    public override string ToString() => $"{GetType().Name}[{Rows}×{Cols}]";
}
