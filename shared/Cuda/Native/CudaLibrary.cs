namespace LlmServe.Cuda.Native;

/// <summary>The native libraries this backend binds.</summary>
public enum CudaLibrary
{
    /// <summary>The driver API, <c>libcuda.so.1</c>, installed with the GPU driver.</summary>
    Driver,

    /// <summary>cuBLASLt, <c>libcublasLt.so.13</c>.</summary>
    CublasLt,

    /// <summary>The run-time compiler, <c>libnvrtc.so.13</c>.</summary>
    Nvrtc,

    /// <summary>NCCL, <c>libnccl.so.2</c>.</summary>
    Nccl,
}
