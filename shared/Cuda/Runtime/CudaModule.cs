using System.Text;
using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>A loaded CUBIN; hands out its kernels by name.</summary>
public sealed unsafe class CudaModule : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaModule(nint module)
        : base(ownsHandle: true) => SetHandle(module);

    public static CudaModule Load(CudaContext context, ReadOnlySpan<byte> image)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint module;
        fixed (byte* p = image)
        {
            CuDriver.Check(CuDriver.cuModuleLoadData(&module, p));
        }

        return new CudaModule(module);
    }

    /// <summary>The extern "C" kernel <paramref name="name"/>; throws naming it when the module lacks it.</summary>
    public CudaFunction GetFunction(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        nint fn;
        fixed (byte* p = bytes)
        {
            CuDriver.Check(CuDriver.cuModuleGetFunction(&fn, handle, p));
        }

        return new CudaFunction(fn, name);
    }

    /// <summary>Device address and size of the module's extern "C" __device__ variable <paramref name="name"/>.</summary>
    public (ulong Address, long Bytes) GetGlobal(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        ulong address;
        nuint size;
        fixed (byte* p = bytes)
        {
            CuDriver.Check(CuDriver.cuModuleGetGlobal(&address, &size, handle, p));
        }

        return (address, (long)size);
    }

    protected override bool ReleaseHandle() => CuDriver.cuModuleUnload(handle) == CuDriver.Success;
}
