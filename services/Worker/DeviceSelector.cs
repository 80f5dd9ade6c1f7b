using LlmServe.Cuda.Backend;
using LlmServe.Inference.Backends;
using Microsoft.Extensions.Logging;

namespace LlmServe.Worker;

/// <summary>Turns Worker:Device (cpu, cuda, auto) into a backend; auto falls back to the CPU when no GPU is usable, and says why.</summary>
internal static partial class DeviceSelector
{
    public static IBackend Create(string device, int deviceIndex, int threads, ILogger logger)
    {
        var options = new BackendOptions { DeviceIndex = deviceIndex, Threads = threads };
        switch (device)
        {
            case "cuda":
                return CudaBackend.Create(new CudaBackendOptions { DeviceIndex = deviceIndex });
            case "auto":
                if (CudaBackend.TryCreate(new CudaBackendOptions { DeviceIndex = deviceIndex }, out var cuda, out string error))
                {
                    return cuda!;
                }
                LogCpuFallback(logger, error);
                return BackendRegistry.Create("cpu", options);
            default:
                return BackendRegistry.Create(device, options);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No usable GPU ({Reason}); using the CPU backend")]
    private static partial void LogCpuFallback(ILogger logger, string reason);
}
