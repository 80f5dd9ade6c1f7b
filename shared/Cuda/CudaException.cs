namespace LlmServe.Cuda;

/// <summary>
/// A CUDA, cuBLASLt, NVRTC or NCCL call failed. The message names the call and the library's own status string,
/// e.g. <c>cuMemAlloc_v2(...) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)</c>.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException()
    {
    }

    public CudaException(string message)
        : base(message)
    {
    }

    public CudaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CudaException(string library, string call, int status, string statusText)
        : base(Format(library, call, status, statusText))
    {
        Library = library;
        Call = call;
        Status = status;
    }

    /// <summary>Which library reported the failure ("cuda", "cublasLt", "nvrtc", "nccl"); empty for managed checks.</summary>
    public string Library { get; } = "";

    /// <summary>The failing call as written at the call site.</summary>
    public string Call { get; } = "";

    /// <summary>The library's numeric status code.</summary>
    public int Status { get; }

    /// <summary>The one place a failed status becomes text.</summary>
    public static string Format(string library, string call, int status, string statusText)
    {
        ArgumentNullException.ThrowIfNull(call);
        // The call expression can span lines at the call site; one line reads better in logs.
        var oneLine = string.Join(' ', call.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        return $"{library}: {oneLine} failed with status {status}: {statusText}";
    }
}
