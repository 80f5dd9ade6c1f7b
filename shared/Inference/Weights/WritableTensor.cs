namespace LlmServe.Inference.Weights;

/// <summary>A tensor to write: name, stored dtype, shape and a callback that fills its fp32 values.</summary>
public sealed record WritableTensor(string Name, TensorDType DType, IReadOnlyList<int> Shape, Action<Span<float>> Fill)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public long ByteLength => ElementCount * DTypeConversion.SizeOf(DType);
}
