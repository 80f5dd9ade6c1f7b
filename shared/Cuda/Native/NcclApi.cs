using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>Bindings of NCCL (<c>libnccl.so.2</c>); <see cref="Check"/> turns every ncclResult_t into an exception.</summary>
internal static unsafe class NcclApi
{
    public const int Success = 0;
    public const int InProgress = 7;
    public const int DataTypeFloat16 = 6;
    public const int DataTypeFloat32 = 7;
    public const int DataTypeBfloat16 = 9;
    public const int OpSum = 0;

    private static readonly Lock BindLock = new();
    private static bool _bound;

    public static delegate* unmanaged<int*, int> ncclGetVersion;
    public static delegate* unmanaged<NcclUniqueId*, int> ncclGetUniqueId;
    public static delegate* unmanaged<nint*, int, NcclUniqueId, int, int> ncclCommInitRank;
    public static delegate* unmanaged<nint, int> ncclCommDestroy;
    public static delegate* unmanaged<ulong, nuint, int, int, nint, nint, int> ncclSend;
    public static delegate* unmanaged<ulong, nuint, int, int, nint, nint, int> ncclRecv;
    public static delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int> ncclAllReduce;
    public static delegate* unmanaged<int> ncclGroupStart;
    public static delegate* unmanaged<int> ncclGroupEnd;
    public static delegate* unmanaged<int, byte*> ncclGetErrorString;

    public static bool IsBound => _bound;

    public static void Bind(nint lib)
    {
        lock (BindLock)
        {
            if (_bound)
            {
                return;
            }

            ncclGetVersion = (delegate* unmanaged<int*, int>)Export(lib, "ncclGetVersion");
            ncclGetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export(lib, "ncclGetUniqueId");
            ncclCommInitRank = (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)Export(lib, "ncclCommInitRank");
            ncclCommDestroy = (delegate* unmanaged<nint, int>)Export(lib, "ncclCommDestroy");
            ncclSend = (delegate* unmanaged<ulong, nuint, int, int, nint, nint, int>)Export(lib, "ncclSend");
            ncclRecv = (delegate* unmanaged<ulong, nuint, int, int, nint, nint, int>)Export(lib, "ncclRecv");
            ncclAllReduce = (delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int>)Export(lib, "ncclAllReduce");
            ncclGroupStart = (delegate* unmanaged<int>)Export(lib, "ncclGroupStart");
            ncclGroupEnd = (delegate* unmanaged<int>)Export(lib, "ncclGroupEnd");
            ncclGetErrorString = (delegate* unmanaged<int, byte*>)Export(lib, "ncclGetErrorString");
            _bound = true;
        }
    }

    public static void Check(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Success)
        {
            throw new CudaException("nccl", call, result, Describe(result));
        }
    }

    public static string Describe(int result)
    {
        if (!_bound)
        {
            return $"ncclResult {result}";
        }

        var text = ncclGetErrorString(result);
        return text == null ? $"ncclResult {result}" : Marshal.PtrToStringUTF8((nint)text) ?? "";
    }

    private static nint Export(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? address
            : throw new CudaException($"libnccl: the export {name} is missing.");
}
