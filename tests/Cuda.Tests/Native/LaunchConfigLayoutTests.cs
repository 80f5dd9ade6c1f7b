using System.Runtime.InteropServices;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Tests.Native;

/// <summary>
/// cuLaunchKernelEx reads CUlaunchConfig and CUlaunchAttribute by the C layout of cuda.h (x64): a mismatch would not
/// fail loudly on the GPU, it would launch with garbage. These pin the sizes and offsets.
/// </summary>
public class LaunchConfigLayoutTests
{
    [Fact]
    public void A_launch_attribute_is_an_id_padded_to_8_then_a_64_byte_value()
    {
        Assert.Equal(72, Marshal.SizeOf<CuDriver.LaunchAttribute>());
        Assert.Equal(0, (int)Marshal.OffsetOf<CuDriver.LaunchAttribute>(nameof(CuDriver.LaunchAttribute.Id)));
        Assert.Equal(8, (int)Marshal.OffsetOf<CuDriver.LaunchAttribute>(nameof(CuDriver.LaunchAttribute.Value)));
    }

    [Fact]
    public void A_launch_config_has_seven_uints_then_the_stream_the_attributes_and_their_count()
    {
        Assert.Equal(56, Marshal.SizeOf<CuDriver.LaunchConfig>());
        Assert.Equal(24, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.SharedMemBytes)));
        Assert.Equal(32, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.Stream)));
        Assert.Equal(40, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.Attributes)));
        Assert.Equal(48, (int)Marshal.OffsetOf<CuDriver.LaunchConfig>(nameof(CuDriver.LaunchConfig.AttributeCount)));
    }

    [Fact]
    public void Programmatic_stream_serialization_is_attribute_6() =>
        Assert.Equal(6, CuDriver.LaunchAttributeProgrammaticStreamSerialization);
}
