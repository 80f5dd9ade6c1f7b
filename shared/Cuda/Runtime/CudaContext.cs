using System.Text;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Runtime;

/// <summary>
/// One GPU's primary context. Every thread that touches the GPU calls <see cref="MakeCurrent"/> first (the
/// driver keeps the current context per thread). Owns nothing else: buffers, streams and modules are separate handles.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly ContextHandle _handle;

    private CudaContext(ContextHandle handle, CudaDeviceInfo info)
    {
        _handle = handle;
        Info = info;
    }

    public CudaDeviceInfo Info { get; }

    internal nint Handle => _handle.DangerousGetHandle();

    /// <summary>
    /// Loads libcuda, initialises the driver and retains the primary context of GPU <paramref name="ordinal"/>.
    /// Returns false with a readable reason when the library, the driver or the GPU is missing.
    /// </summary>
    public static bool TryCreate(int ordinal, CudaLibraryOptions libraries, out CudaContext? context, out string error)
    {
        context = null;
        var resolver = new NativeLibraryResolver(libraries);
        if (!resolver.TryLoad(CudaLibrary.Driver, out var lib, out error))
        {
            error = "no CUDA driver: " + error;
            return false;
        }

        try
        {
            CuDriver.Bind(lib);
            var init = CuDriver.cuInit(0);
            if (init != CuDriver.Success)
            {
                error = $"cuInit failed: {CuDriver.Describe(init)} (no usable GPU?)";
                return false;
            }

            int count;
            CuDriver.Check(CuDriver.cuDeviceGetCount(&count));
            if (ordinal < 0 || ordinal >= count)
            {
                error = $"GPU {ordinal} requested but the driver reports {count} device(s)";
                return false;
            }

            context = Create(ordinal);
            return true;
        }
        catch (CudaException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Like <see cref="TryCreate"/>, throwing <see cref="CudaException"/> on failure.</summary>
    public static CudaContext Create(int ordinal, CudaLibraryOptions libraries)
    {
        if (!TryCreate(ordinal, libraries, out var context, out var error))
        {
            throw new CudaException(error);
        }

        return context!;
    }

    private static CudaContext Create(int ordinal)
    {
        int dev;
        CuDriver.Check(CuDriver.cuDeviceGet(&dev, ordinal));
        nint ctx;
        CuDriver.Check(CuDriver.cuDevicePrimaryCtxRetain(&ctx, dev));
        var handle = new ContextHandle(ctx, dev);
        CuDriver.Check(CuDriver.cuCtxSetCurrent(ctx));
        var name = stackalloc byte[256];
        CuDriver.Check(CuDriver.cuDeviceGetName(name, 256, dev));
        nuint total;
        CuDriver.Check(CuDriver.cuDeviceTotalMem(&total, dev));
        int driver;
        CuDriver.Check(CuDriver.cuDriverGetVersion(&driver));
        var info = new CudaDeviceInfo(
            ordinal,
            Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, 256)).TrimEnd('\0'),
            Attribute(dev, CuDriver.AttrComputeCapabilityMajor),
            Attribute(dev, CuDriver.AttrComputeCapabilityMinor),
            Attribute(dev, CuDriver.AttrMultiprocessorCount),
            (long)total,
            Attribute(dev, CuDriver.AttrL2CacheSize),
            Attribute(dev, CuDriver.AttrMaxSharedMemoryPerBlockOptin),
            driver);
        return new CudaContext(handle, info);
    }

    private static int Attribute(int dev, int attribute)
    {
        int value;
        CuDriver.Check(CuDriver.cuDeviceGetAttribute(&value, attribute, dev));
        return value;
    }

    /// <summary>Makes this context current on the calling thread (cheap; call at every entry point).</summary>
    public void MakeCurrent() => CuDriver.Check(CuDriver.cuCtxSetCurrent(Handle));

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CuDriver.Check(CuDriver.cuMemGetInfo(&free, &total));
        return ((long)free, (long)total);
    }

    public void Synchronize()
    {
        MakeCurrent();
        CuDriver.Check(CuDriver.cuCtxSynchronize());
    }

    public void Dispose() => _handle.Dispose();
}
