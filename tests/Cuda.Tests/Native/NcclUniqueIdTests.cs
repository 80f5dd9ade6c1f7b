using System.Runtime.CompilerServices;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Tests.Native;

public class NcclUniqueIdTests
{
    [Fact]
    public void Is_exactly_the_128_bytes_of_the_C_struct() => Assert.Equal(128, Unsafe.SizeOf<NcclUniqueId>());

    [Fact]
    public void Round_trips_through_bytes()
    {
        var bytes = Enumerable.Range(0, 128).Select(i => (byte)(i * 7)).ToArray();

        var id = NcclUniqueId.FromBytes(bytes);

        Assert.Equal(bytes, id.ToArray());
        Assert.Equal(id, NcclUniqueId.FromBytes(bytes));
        Assert.NotEqual(id, default);
    }

    [Fact]
    public void Rejects_a_wrong_length() => Assert.Throws<ArgumentException>(() => NcclUniqueId.FromBytes(new byte[127]));
}
