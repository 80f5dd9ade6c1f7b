using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>Bindings of cuBLASLt (<c>libcublasLt.so.13</c>); <see cref="Check"/> turns every status into an exception.</summary>
internal static unsafe class CublasLtApi
{
    public const int StatusSuccess = 0;
    public const int DataTypeF32 = 0;
    public const int DataTypeBf16 = 14;
    public const int ComputeF32 = 68;
    public const int OpN = 0;
    public const int OpT = 1;
    public const int DescTransA = 3;
    public const int DescTransB = 4;
    public const int DescEpilogue = 7;
    public const int DescBiasPointer = 8;
    public const uint EpilogueDefault = 1;
    public const uint EpilogueBias = 4;
    public const int PrefMaxWorkspaceBytes = 1;

    private static readonly Lock BindLock = new();
    private static bool _bound;

    public static delegate* unmanaged<nint*, int> cublasLtCreate;
    public static delegate* unmanaged<nint, int> cublasLtDestroy;
    public static delegate* unmanaged<nuint> cublasLtGetVersion;
    public static delegate* unmanaged<int, byte*> cublasLtGetStatusName;
    public static delegate* unmanaged<int, byte*> cublasLtGetStatusString;
    public static delegate* unmanaged<nint*, int, int, int> cublasLtMatmulDescCreate;
    public static delegate* unmanaged<nint, int> cublasLtMatmulDescDestroy;
    public static delegate* unmanaged<nint, int, void*, nuint, int> cublasLtMatmulDescSetAttribute;
    public static delegate* unmanaged<nint*, int, ulong, ulong, long, int> cublasLtMatrixLayoutCreate;
    public static delegate* unmanaged<nint, int> cublasLtMatrixLayoutDestroy;
    public static delegate* unmanaged<nint*, int> cublasLtMatmulPreferenceCreate;
    public static delegate* unmanaged<nint, int> cublasLtMatmulPreferenceDestroy;
    public static delegate* unmanaged<nint, int, void*, nuint, int> cublasLtMatmulPreferenceSetAttribute;
    public static delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, int, HeuristicResult*, int*, int> cublasLtMatmulAlgoGetHeuristic;
    public static delegate* unmanaged<nint, nint, void*, ulong, nint, ulong, nint, void*, ulong, nint, ulong, nint, MatmulAlgo*, ulong, nuint, nint, int> cublasLtMatmul;

    /// <summary>cublasLtMatmulAlgo_t: 8 opaque 64-bit words.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MatmulAlgo
    {
        public ulong D0, D1, D2, D3, D4, D5, D6, D7;
    }

    /// <summary>cublasLtMatmulHeuristicResult_t (96 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct HeuristicResult
    {
        public MatmulAlgo Algo;
        public nuint WorkspaceSize;
        public int State;
        public float WavesCount;
        public int Reserved0, Reserved1, Reserved2, Reserved3;
    }

    public static bool IsBound => _bound;

    public static void Bind(nint lib)
    {
        lock (BindLock)
        {
            if (_bound)
            {
                return;
            }

            cublasLtCreate = (delegate* unmanaged<nint*, int>)Export(lib, "cublasLtCreate");
            cublasLtDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cublasLtDestroy");
            cublasLtGetVersion = (delegate* unmanaged<nuint>)Export(lib, "cublasLtGetVersion");
            cublasLtGetStatusName = (delegate* unmanaged<int, byte*>)Export(lib, "cublasLtGetStatusName");
            cublasLtGetStatusString = (delegate* unmanaged<int, byte*>)Export(lib, "cublasLtGetStatusString");
            cublasLtMatmulDescCreate = (delegate* unmanaged<nint*, int, int, int>)Export(lib, "cublasLtMatmulDescCreate");
            cublasLtMatmulDescDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cublasLtMatmulDescDestroy");
            cublasLtMatmulDescSetAttribute = (delegate* unmanaged<nint, int, void*, nuint, int>)Export(lib, "cublasLtMatmulDescSetAttribute");
            cublasLtMatrixLayoutCreate = (delegate* unmanaged<nint*, int, ulong, ulong, long, int>)Export(lib, "cublasLtMatrixLayoutCreate");
            cublasLtMatrixLayoutDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cublasLtMatrixLayoutDestroy");
            cublasLtMatmulPreferenceCreate = (delegate* unmanaged<nint*, int>)Export(lib, "cublasLtMatmulPreferenceCreate");
            cublasLtMatmulPreferenceDestroy = (delegate* unmanaged<nint, int>)Export(lib, "cublasLtMatmulPreferenceDestroy");
            cublasLtMatmulPreferenceSetAttribute = (delegate* unmanaged<nint, int, void*, nuint, int>)Export(lib, "cublasLtMatmulPreferenceSetAttribute");
            cublasLtMatmulAlgoGetHeuristic = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, int, HeuristicResult*, int*, int>)Export(lib, "cublasLtMatmulAlgoGetHeuristic");
            cublasLtMatmul = (delegate* unmanaged<nint, nint, void*, ulong, nint, ulong, nint, void*, ulong, nint, ulong, nint, MatmulAlgo*, ulong, nuint, nint, int>)Export(lib, "cublasLtMatmul");
            _bound = true;
        }
    }

    public static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != StatusSuccess)
        {
            throw new CudaException("cublasLt", call, status, Describe(status));
        }
    }

    public static string Describe(int status)
    {
        if (!_bound)
        {
            return $"cublasStatus {status}";
        }

        var name = cublasLtGetStatusName(status);
        var text = cublasLtGetStatusString(status);
        return $"{(name == null ? $"cublasStatus {status}" : Marshal.PtrToStringUTF8((nint)name))}" +
               $"{(text == null ? "" : $" ({Marshal.PtrToStringUTF8((nint)text)})")}";
    }

    private static nint Export(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? address
            : throw new CudaException($"libcublasLt: the export {name} is missing.");
}
