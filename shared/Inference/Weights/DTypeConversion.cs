using System.Runtime.InteropServices;

namespace LlmServe.Inference.Weights;

/// <summary>Conversions between checkpoint storage types and fp32.</summary>
public static class DTypeConversion
{
    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => 4,
        TensorDType.BF16 or TensorDType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Widens little-endian <paramref name="source"/> elements of <paramref name="dtype"/> to fp32.</summary>
    public static void Widen(TensorDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int count = source.Length / SizeOf(dtype);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, count);
        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case TensorDType.BF16:
                {
                    var halfs = MemoryMarshal.Cast<byte, ushort>(source);
                    for (int i = 0; i < count; i++)
                    {
                        destination[i] = BitConverter.Int32BitsToSingle(halfs[i] << 16);
                    }

                    break;
                }

            case TensorDType.F16:
                {
                    var halfs = MemoryMarshal.Cast<byte, Half>(source);
                    for (int i = 0; i < count; i++)
                    {
                        destination[i] = (float)halfs[i];
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype");
        }
    }

    /// <summary>Narrows fp32 values to little-endian <paramref name="dtype"/> bytes (bf16 rounds to nearest even, as torch does).</summary>
    public static void Narrow(TensorDType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length * SizeOf(dtype));
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are little-endian; big-endian hosts are not supported");
        }

        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case TensorDType.BF16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(destination);
                    for (int i = 0; i < source.Length; i++)
                    {
                        bits[i] = ToBFloat16(source[i]);
                    }

                    break;
                }

            case TensorDType.F16:
                {
                    var halfs = MemoryMarshal.Cast<byte, Half>(destination);
                    for (int i = 0; i < source.Length; i++)
                    {
                        halfs[i] = (Half)source[i];
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype");
        }
    }

    /// <summary>Rounds an fp32 value to bf16 bits (round to nearest, ties to even; NaN stays NaN).</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = (uint)BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
