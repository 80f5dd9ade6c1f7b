using System.Collections.Concurrent;
using LlmServe.Inference.Cpu;

namespace LlmServe.Inference.Backends;

/// <summary>
/// Device name → backend factory. "cpu" is built in; the CUDA backend registers "cuda" from its own assembly
/// (the host calls its registration at start-up), so this library never references CUDA.
/// </summary>
public static class BackendRegistry
{
    private static readonly ConcurrentDictionary<string, Func<BackendOptions, IBackend>> Factories =
        new(StringComparer.OrdinalIgnoreCase) { ["cpu"] = options => new CpuBackend(options) };

    /// <summary>Registers (or replaces) the factory for <paramref name="device"/>.</summary>
    public static void Register(string device, Func<BackendOptions, IBackend> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentNullException.ThrowIfNull(factory);
        Factories[device] = factory;
    }

    public static IReadOnlyCollection<string> Devices => Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Creates the backend for <paramref name="device"/>; throws <see cref="BackendNotAvailableException"/> naming the known devices.</summary>
    public static IBackend Create(string device, BackendOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        if (!Factories.TryGetValue(device, out var factory))
        {
            throw new BackendNotAvailableException(
                $"No '{device}' backend in this build (available: {string.Join(", ", Devices)}). " +
                (device.Equals("cuda", StringComparison.OrdinalIgnoreCase) ? "The CUDA backend is not registered yet." : string.Empty));
        }

        return factory(options ?? new BackendOptions());
    }
}
