namespace LlmServe.Cuda.Runtime;

/// <summary>What the backend needs to know about a GPU: its arch picks the NVRTC target, its SM count sizes grids.</summary>
public sealed record CudaDeviceInfo(
    int Ordinal,
    string Name,
    int ComputeMajor,
    int ComputeMinor,
    int MultiprocessorCount,
    long TotalMemoryBytes,
    int L2CacheBytes,
    int MaxSharedMemoryPerBlockOptin,
    int DriverVersion)
{
    /// <summary>"sm_90" for an H100/H200.</summary>
    public string Arch => $"sm_{ComputeMajor}{ComputeMinor}";

    /// <summary>"580.x"-style driver API version, as 13000 = CUDA 13.0.</summary>
    public string DriverApiVersion => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";
}
