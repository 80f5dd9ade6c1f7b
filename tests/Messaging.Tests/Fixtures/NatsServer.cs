using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LlmServe.Messaging.Tests.Fixtures;

/// <summary>
/// A real nats-server process on a free loopback port. It can be killed and started again on the same port,
/// which is how the reconnect tests simulate an outage.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"];

    private readonly string[] extraArgs;
    private Process? process;

    private NatsServer(int port, string[] extraArgs)
    {
        Port = port;
        this.extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public bool IsRunning => process is { HasExited: false };

    public static string Executable =>
        Candidates.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("nats-server is not installed (looked in " + string.Join(", ", Candidates) + ").");

    public static async Task<NatsServer> StartAsync(params string[] extraArgs)
    {
        var server = new NatsServer(FreePort(), extraArgs);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Writes a nats-server config file and returns the "-c path" arguments for it.</summary>
    public static string[] ConfigArgs(string config)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nats-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, config);
        return ["-c", path];
    }

    /// <summary>Starts the server (again) on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited with code {process.ExitCode}.");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException("nats-server did not start listening within 10 s.");
    }

    /// <summary>Kills the server abruptly (SIGKILL): clients see their connections drop.</summary>
    public async Task KillAsync()
    {
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
