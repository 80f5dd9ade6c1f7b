using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>Bindings of NVRTC (<c>libnvrtc.so.13</c>). NVRTC needs no GPU, so these also work on a CPU-only machine that has the library.</summary>
internal static unsafe class NvrtcApi
{
    public const int Success = 0;

    private static readonly Lock BindLock = new();
    private static bool _bound;

    public static delegate* unmanaged<int*, int*, int> nvrtcVersion;
    public static delegate* unmanaged<int, byte*> nvrtcGetErrorString;
    public static delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
    public static delegate* unmanaged<nint*, int> nvrtcDestroyProgram;
    public static delegate* unmanaged<nint, int, byte**, int> nvrtcCompileProgram;
    public static delegate* unmanaged<nint, nuint*, int> nvrtcGetProgramLogSize;
    public static delegate* unmanaged<nint, byte*, int> nvrtcGetProgramLog;
    public static delegate* unmanaged<nint, nuint*, int> nvrtcGetCUBINSize;
    public static delegate* unmanaged<nint, byte*, int> nvrtcGetCUBIN;

    public static bool IsBound => _bound;

    public static void Bind(nint lib)
    {
        lock (BindLock)
        {
            if (_bound)
            {
                return;
            }

            nvrtcVersion = (delegate* unmanaged<int*, int*, int>)Export(lib, "nvrtcVersion");
            nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)Export(lib, "nvrtcGetErrorString");
            nvrtcCreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)Export(lib, "nvrtcCreateProgram");
            nvrtcDestroyProgram = (delegate* unmanaged<nint*, int>)Export(lib, "nvrtcDestroyProgram");
            nvrtcCompileProgram = (delegate* unmanaged<nint, int, byte**, int>)Export(lib, "nvrtcCompileProgram");
            nvrtcGetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)Export(lib, "nvrtcGetProgramLogSize");
            nvrtcGetProgramLog = (delegate* unmanaged<nint, byte*, int>)Export(lib, "nvrtcGetProgramLog");
            nvrtcGetCUBINSize = (delegate* unmanaged<nint, nuint*, int>)Export(lib, "nvrtcGetCUBINSize");
            nvrtcGetCUBIN = (delegate* unmanaged<nint, byte*, int>)Export(lib, "nvrtcGetCUBIN");
            _bound = true;
        }
    }

    public static void Check(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Success)
        {
            throw new CudaException("nvrtc", call, result, Describe(result));
        }
    }

    public static string Describe(int result)
    {
        if (!_bound)
        {
            return $"nvrtcResult {result}";
        }

        var text = nvrtcGetErrorString(result);
        return text == null ? $"nvrtcResult {result}" : Marshal.PtrToStringUTF8((nint)text) ?? "";
    }

    private static nint Export(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? address
            : throw new CudaException($"libnvrtc: the export {name} is missing.");
}
