using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Kernels;
using LlmServe.Inference.Sampling;

namespace LlmServe.Cuda.Tests.Kernels;

/// <summary>
/// The host's DeviceDrawParams are copied byte for byte into the sampling kernel's DrawArgs: same size, same fields at
/// the same offsets, declared in the same order in sample_rows.cu.
/// </summary>
public sealed partial class DrawArgsLayoutTests
{
    [Fact]
    public void DeviceDrawParams_has_the_kernels_size_and_field_offsets()
    {
        var draw = new DeviceDrawParams { Seed = 0x0102030405060708, Step = 0x1112131415161718, InverseTemperature = 1.25f, TopK = 40, TopP = 0.9f, MinP = 0.05f };
        byte[] bytes = MemoryMarshal.AsBytes(new[] { draw }.AsSpan()).ToArray();

        Assert.Equal(KernelLibrary.DrawArgsBytes, Unsafe.SizeOf<DeviceDrawParams>());
        Assert.Equal(0x0102030405060708UL, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal(0x1112131415161718L, BitConverter.ToInt64(bytes, 8));
        Assert.Equal(1.25f, BitConverter.ToSingle(bytes, 16));
        Assert.Equal(40, BitConverter.ToInt32(bytes, 20));
        Assert.Equal(0.9f, BitConverter.ToSingle(bytes, 24));
        Assert.Equal(0.05f, BitConverter.ToSingle(bytes, 28));
    }

    [Fact]
    public void The_kernels_DrawArgs_declares_the_same_fields_in_the_same_order()
    {
        var body = DrawArgs().Match(KernelSources.Read("sample_rows.cu"));
        Assert.True(body.Success, "struct DrawArgs not found in sample_rows.cu");

        var fields = Field().Matches(body.Groups["body"].Value).Select(m => (m.Groups["type"].Value, m.Groups["name"].Value)).ToArray();

        Assert.Equal(
            [("unsigned long long", "seed"), ("long long", "step"), ("float", "inv_temperature"), ("int", "top_k"), ("float", "top_p"), ("float", "min_p")],
            fields);
    }

    [GeneratedRegex(@"struct DrawArgs\s*\{(?<body>[^}]*)\}")]
    private static partial Regex DrawArgs();

    [GeneratedRegex(@"(?<type>unsigned long long|long long|float|int)\s+(?<name>\w+);")]
    private static partial Regex Field();
}
