using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>
/// Bindings of the CUDA driver API (<c>libcuda.so.1</c>) as unmanaged function pointers, bound once by
/// <see cref="Bind"/>. Every call goes through <see cref="Check"/>, the one place a CUresult becomes an exception.
/// Versioned exports (<c>_v2</c>) are the ones the CUDA 12/13 headers map the plain names to.
/// </summary>
internal static unsafe class CuDriver
{
    public const int Success = 0;
    public const int ErrorNotReady = 600;

    public const int AttrMultiprocessorCount = 16;
    public const int AttrL2CacheSize = 38;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;
    public const int AttrMaxSharedMemoryPerBlockOptin = 97;
    public const int FuncAttrMaxDynamicSharedSizeBytes = 8;
    public const int FuncAttrSharedSizeBytes = 1;
    public const int FuncAttrLocalSizeBytes = 3;
    public const int FuncAttrNumRegs = 4;
    public const uint StreamNonBlocking = 1;
    public const uint EventDisableTiming = 2;
    public const int CaptureModeThreadLocal = 1;
    public const uint MemHostAllocPortable = 1;

    private static readonly Lock BindLock = new();
    private static bool _bound;

    public static delegate* unmanaged<uint, int> cuInit;
    public static delegate* unmanaged<int*, int> cuDriverGetVersion;
    public static delegate* unmanaged<int*, int> cuDeviceGetCount;
    public static delegate* unmanaged<int*, int, int> cuDeviceGet;
    public static delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    public static delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    public static delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem;
    public static delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
    public static delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
    public static delegate* unmanaged<nint, int> cuCtxSetCurrent;
    public static delegate* unmanaged<int> cuCtxSynchronize;
    public static delegate* unmanaged<nuint*, nuint*, int> cuMemGetInfo;
    public static delegate* unmanaged<nint*, uint, int> cuStreamCreate;
    public static delegate* unmanaged<nint, int> cuStreamDestroy;
    public static delegate* unmanaged<nint, int> cuStreamSynchronize;
    public static delegate* unmanaged<nint, nint, uint, int> cuStreamWaitEvent;
    public static delegate* unmanaged<nint*, uint, int> cuEventCreate;
    public static delegate* unmanaged<nint, nint, int> cuEventRecord;
    public static delegate* unmanaged<nint, int> cuEventSynchronize;
    public static delegate* unmanaged<float*, nint, nint, int> cuEventElapsedTime;
    public static delegate* unmanaged<nint, int> cuEventDestroy;
    public static delegate* unmanaged<ulong*, nuint, int> cuMemAlloc;
    public static delegate* unmanaged<ulong, int> cuMemFree;
    public static delegate* unmanaged<void**, nuint, uint, int> cuMemHostAlloc;
    public static delegate* unmanaged<void*, int> cuMemFreeHost;
    public static delegate* unmanaged<ulong, void*, nuint, nint, int> cuMemcpyHtoDAsync;
    public static delegate* unmanaged<ulong, void*, nuint, int> cuMemcpyHtoD;
    public static delegate* unmanaged<void*, ulong, nuint, nint, int> cuMemcpyDtoHAsync;
    public static delegate* unmanaged<ulong, ulong, nuint, nint, int> cuMemcpyDtoDAsync;
    public static delegate* unmanaged<ulong, byte, nuint, nint, int> cuMemsetD8Async;
    public static delegate* unmanaged<ulong, ushort, nuint, nint, int> cuMemsetD16Async;
    public static delegate* unmanaged<ulong, uint, nuint, nint, int> cuMemsetD32Async;
    public static delegate* unmanaged<nint*, void*, int> cuModuleLoadData;
    public static delegate* unmanaged<nint, int> cuModuleUnload;
    public static delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
    public static delegate* unmanaged<ulong*, nuint*, nint, byte*, int> cuModuleGetGlobal;
    public static delegate* unmanaged<nint, int, int, int> cuFuncSetAttribute;
    public static delegate* unmanaged<int*, int, nint, int> cuFuncGetAttribute;
    public static delegate* unmanaged<int*, nint, int, nuint, int> cuOccupancyMaxActiveBlocksPerMultiprocessor;
    public static delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;
    public static delegate* unmanaged<LaunchConfig*, nint, void**, void**, int> cuLaunchKernelEx;
    public static delegate* unmanaged<nint, int, int> cuStreamBeginCapture;
    public static delegate* unmanaged<nint, nint*, int> cuStreamEndCapture;
    public static delegate* unmanaged<nint*, nint, ulong, int> cuGraphInstantiateWithFlags;
    public static delegate* unmanaged<nint, nint, int> cuGraphLaunch;
    public static delegate* unmanaged<nint, nint, GraphExecUpdateResultInfo*, int> cuGraphExecUpdate;
    public static delegate* unmanaged<nint, int> cuGraphExecDestroy;
    public static delegate* unmanaged<nint, int> cuGraphDestroy;
    public static delegate* unmanaged<int, byte**, int> cuGetErrorName;
    public static delegate* unmanaged<int, byte**, int> cuGetErrorString;

    /// <summary>What <c>cuGraphExecUpdate_v2</c> reports (CUgraphExecUpdateResultInfo).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GraphExecUpdateResultInfo
    {
        public int Result;
        public nint ErrorNode;
        public nint ErrorFromNode;
    }

    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: the kernel resolves its stream dependency itself.</summary>
    public const int LaunchAttributeProgrammaticStreamSerialization = 6;

    /// <summary>CUlaunchAttribute: a 4-byte id padded to 8, then a 64-byte value union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct LaunchAttribute
    {
        [FieldOffset(0)]
        public int Id;

        [FieldOffset(8)]
        public int Value;
    }

    /// <summary>CUlaunchConfig, as <c>cuLaunchKernelEx</c> takes it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LaunchConfig
    {
        public uint GridDimX, GridDimY, GridDimZ;
        public uint BlockDimX, BlockDimY, BlockDimZ;
        public uint SharedMemBytes;
        public nint Stream;
        public LaunchAttribute* Attributes;
        public uint AttributeCount;
    }

    public static bool IsBound => _bound;

    /// <summary>Binds every export from the loaded library; throws naming the first missing symbol.</summary>
    public static void Bind(nint lib)
    {
        lock (BindLock)
        {
            if (_bound)
            {
                return;
            }

            cuInit = (delegate* unmanaged<uint, int>)Export(lib, "cuInit");
            cuDriverGetVersion = (delegate* unmanaged<int*, int>)Export(lib, "cuDriverGetVersion");
            cuDeviceGetCount = (delegate* unmanaged<int*, int>)Export(lib, "cuDeviceGetCount");
            cuDeviceGet = (delegate* unmanaged<int*, int, int>)Export(lib, "cuDeviceGet");
            cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)Export(lib, "cuDeviceGetName");
            cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(lib, "cuDeviceGetAttribute");
            cuDeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)Export(lib, "cuDeviceTotalMem_v2");
            cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)Export(lib, "cuDevicePrimaryCtxRetain");
            cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)Export(lib, "cuDevicePrimaryCtxRelease_v2");
            cuCtxSetCurrent = (delegate* unmanaged<nint, int>)Export(lib, "cuCtxSetCurrent");
            cuCtxSynchronize = (delegate* unmanaged<int>)Export(lib, "cuCtxSynchronize");
            cuMemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)Export(lib, "cuMemGetInfo_v2");
            cuStreamCreate = (delegate* unmanaged<nint*, uint, int>)Export(lib, "cuStreamCreate");
            cuStreamDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cuStreamDestroy_v2");
            cuStreamSynchronize = (delegate* unmanaged<nint, int>)Export(lib, "cuStreamSynchronize");
            cuStreamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)Export(lib, "cuStreamWaitEvent");
            cuEventCreate = (delegate* unmanaged<nint*, uint, int>)Export(lib, "cuEventCreate");
            cuEventRecord = (delegate* unmanaged<nint, nint, int>)Export(lib, "cuEventRecord");
            cuEventSynchronize = (delegate* unmanaged<nint, int>)Export(lib, "cuEventSynchronize");
            cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)(
                NativeLibrary.TryGetExport(lib, "cuEventElapsedTime_v2", out var elapsed2) ? elapsed2 : Export(lib, "cuEventElapsedTime"));
            cuEventDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cuEventDestroy_v2");
            cuMemAlloc = (delegate* unmanaged<ulong*, nuint, int>)Export(lib, "cuMemAlloc_v2");
            cuMemFree = (delegate* unmanaged<ulong, int>)Export(lib, "cuMemFree_v2");
            cuMemHostAlloc = (delegate* unmanaged<void**, nuint, uint, int>)Export(lib, "cuMemHostAlloc");
            cuMemFreeHost = (delegate* unmanaged<void*, int>)Export(lib, "cuMemFreeHost");
            cuMemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)Export(lib, "cuMemcpyHtoDAsync_v2");
            cuMemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)Export(lib, "cuMemcpyHtoD_v2");
            cuMemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)Export(lib, "cuMemcpyDtoHAsync_v2");
            cuMemcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)Export(lib, "cuMemcpyDtoDAsync_v2");
            cuMemsetD8Async = (delegate* unmanaged<ulong, byte, nuint, nint, int>)Export(lib, "cuMemsetD8Async");
            cuMemsetD16Async = (delegate* unmanaged<ulong, ushort, nuint, nint, int>)Export(lib, "cuMemsetD16Async");
            cuMemsetD32Async = (delegate* unmanaged<ulong, uint, nuint, nint, int>)Export(lib, "cuMemsetD32Async");
            cuModuleLoadData = (delegate* unmanaged<nint*, void*, int>)Export(lib, "cuModuleLoadData");
            cuModuleUnload = (delegate* unmanaged<nint, int>)Export(lib, "cuModuleUnload");
            cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)Export(lib, "cuModuleGetFunction");
            cuModuleGetGlobal = (delegate* unmanaged<ulong*, nuint*, nint, byte*, int>)Export(lib, "cuModuleGetGlobal_v2");
            cuFuncSetAttribute = (delegate* unmanaged<nint, int, int, int>)Export(lib, "cuFuncSetAttribute");
            cuFuncGetAttribute = (delegate* unmanaged<int*, int, nint, int>)Export(lib, "cuFuncGetAttribute");
            cuOccupancyMaxActiveBlocksPerMultiprocessor = (delegate* unmanaged<int*, nint, int, nuint, int>)Export(lib, "cuOccupancyMaxActiveBlocksPerMultiprocessor");
            cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Export(lib, "cuLaunchKernel");
            cuLaunchKernelEx = (delegate* unmanaged<LaunchConfig*, nint, void**, void**, int>)Export(lib, "cuLaunchKernelEx");
            cuStreamBeginCapture = (delegate* unmanaged<nint, int, int>)Export(lib, "cuStreamBeginCapture_v2");
            cuStreamEndCapture = (delegate* unmanaged<nint, nint*, int>)Export(lib, "cuStreamEndCapture");
            cuGraphInstantiateWithFlags = (delegate* unmanaged<nint*, nint, ulong, int>)Export(lib, "cuGraphInstantiateWithFlags");
            cuGraphLaunch = (delegate* unmanaged<nint, nint, int>)Export(lib, "cuGraphLaunch");
            cuGraphExecUpdate = (delegate* unmanaged<nint, nint, GraphExecUpdateResultInfo*, int>)Export(lib, "cuGraphExecUpdate_v2");
            cuGraphExecDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cuGraphExecDestroy");
            cuGraphDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cuGraphDestroy");
            cuGetErrorName = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorName");
            cuGetErrorString = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorString");
            _bound = true;
        }
    }

    /// <summary>Throws <see cref="CudaException"/> naming the call when <paramref name="result"/> is not CUDA_SUCCESS.</summary>
    public static void Check(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Success)
        {
            throw new CudaException("cuda", call, result, Describe(result));
        }
    }

    /// <summary>"CUDA_ERROR_OUT_OF_MEMORY (out of memory)"; falls back to the number when the driver is not bound.</summary>
    public static string Describe(int result)
    {
        if (!_bound)
        {
            return $"CUresult {result}";
        }

        byte* name = null;
        byte* text = null;
        _ = cuGetErrorName(result, &name);
        _ = cuGetErrorString(result, &text);
        var n = name == null ? $"CUresult {result}" : Marshal.PtrToStringUTF8((nint)name);
        var t = text == null ? "" : $" ({Marshal.PtrToStringUTF8((nint)text)})";
        return n + t;
    }

    internal static nint Export(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? address
            : throw new CudaException($"libcuda: the export {name} is missing; the driver is older than this backend needs (580+).");
}
