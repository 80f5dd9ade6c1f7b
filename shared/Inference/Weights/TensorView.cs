namespace LlmServe.Inference.Weights;

/// <summary>
/// A read-only view of one tensor inside a memory-mapped checkpoint: dtype, shape and the raw little-endian
/// bytes. Valid only while the <see cref="WeightStore"/> that produced it is open; backends copy (and convert)
/// the bytes at upload, they never keep the view.
/// </summary>
public readonly unsafe struct TensorView
{
    private readonly byte* _data;
    private readonly int[] _shape;

    internal TensorView(string name, TensorDType dtype, int[] shape, byte* data, long byteLength)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        _data = data;
        ByteLength = byteLength;
    }

    /// <summary>The checkpoint name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</summary>
    public string Name { get; }

    public TensorDType DType { get; }

    public IReadOnlyList<int> Shape => _shape;

    public long ByteLength { get; }

    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in _shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Rows when seen as a matrix: the first dimension (1 for a scalar).</summary>
    public int Rows => _shape.Length == 0 ? 1 : _shape[0];

    /// <summary>Columns when seen as a matrix: the product of every dimension after the first.</summary>
    public int Cols => _shape.Length == 0 ? 1 : (int)(ElementCount / Math.Max(1, _shape[0]));

    /// <summary>The raw bytes of the whole tensor.</summary>
    public ReadOnlySpan<byte> Bytes => new(_data, checked((int)ByteLength));

    /// <summary>The raw bytes of rows [<paramref name="firstRow"/>, firstRow+count) (for tensors larger than 2 GiB, or for sharding by rows).</summary>
    public ReadOnlySpan<byte> RowBytes(int firstRow, int count)
    {
        long rowBytes = ByteLength / Math.Max(1, Rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)firstRow + count, Rows);
        return new ReadOnlySpan<byte>(_data + (firstRow * rowBytes), checked((int)(count * rowBytes)));
    }

    /// <summary>Widens the elements of rows [firstRow, firstRow+count) to fp32 into <paramref name="destination"/>.</summary>
    public void WidenRowsTo(int firstRow, int count, Span<float> destination) =>
        DTypeConversion.Widen(DType, RowBytes(firstRow, count), destination);

    public override string ToString() => $"{Name} {DType}[{string.Join(',', _shape)}]";
}
