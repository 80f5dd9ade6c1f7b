using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Tests.Weights;

public sealed class DTypeConversionTests
{
    [Theory]
    [InlineData(1.0f, (ushort)0x3F80)]
    [InlineData(-2.0f, (ushort)0xC000)]
    [InlineData(1.00390625f, (ushort)0x3F80)] // exactly halfway: ties to even (down)
    [InlineData(1.01171875f, (ushort)0x3F82)] // halfway above an odd mantissa: rounds up
    public void Bfloat16_rounds_to_nearest_even(float value, ushort bits) =>
        Assert.Equal(bits, DTypeConversion.ToBFloat16(value));

    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public void Narrow_then_widen_round_trips_representable_values(TensorDType dtype)
    {
        float[] values = [0f, 1f, -1.5f, 0.25f, 96f, -0.125f];
        var bytes = new byte[values.Length * DTypeConversion.SizeOf(dtype)];
        DTypeConversion.Narrow(dtype, values, bytes);
        var back = new float[values.Length];
        DTypeConversion.Widen(dtype, bytes, back);
        Assert.Equal(values, back);
    }
}
