using System.Diagnostics;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Faults;

/// <summary>Freezes and thaws a service process (SIGSTOP/SIGCONT), to hold requests in flight on it before a kill.</summary>
public static class ServiceSignals
{
    public static void Freeze(ServiceProcess service) => Signal("-STOP", service);

    public static void Thaw(ServiceProcess service) => Signal("-CONT", service);

    private static void Signal(string signal, ServiceProcess service)
    {
        ArgumentNullException.ThrowIfNull(service);
        using var kill = Process.Start("kill", [signal, service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }
}
