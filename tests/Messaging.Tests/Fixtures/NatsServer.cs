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
        // The free port is only free when it was picked: another test process may start its own server on it first.
        // Then this server exits ("address already in use") and a new port is tried.
        for (int attempt = 1; ; attempt++)
        {
            var server = new NatsServer(FreePort(), extraArgs);
            try
            {
                await server.RestartAsync();
                return server;
            }
            catch (PortTakenException) when (attempt < 5)
            {
                await server.KillAsync();
            }
        }
    }

    /// <summary>Starts a server on <paramref name="port"/> without retrying elsewhere (tests of the fixture itself).</summary>
    public static async Task<NatsServer> StartOnPortAsync(int port, params string[] extraArgs)
    {
        var server = new NatsServer(port, extraArgs);
        try
        {
            await server.RestartAsync();
            return server;
        }
        catch
        {
            await server.KillAsync();
            throw;
        }
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

        // Ready means this process said so: a TCP probe of the port could reach another test's server on the same port
        // (the clusters of two tests would then share one bus and serve each other's requests).
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        DataReceivedEventHandler watch = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Server is ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start.");
        process.OutputDataReceived += watch;
        process.ErrorDataReceived += watch;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var finished = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(10)));
        if (finished == ready.Task)
        {
            return;
        }

        string log = string.Join('\n', output);
        if (finished == exited)
        {
            if (log.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new PortTakenException($"nats-server could not listen on port {Port}:\n{log}");
            }

            throw new InvalidOperationException($"nats-server exited with code {process.ExitCode}:\n{log}");
        }

        throw new TimeoutException($"nats-server did not report ready within 10 s:\n{log}");
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
