using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace LlmServe.TestSupport;

/// <summary>
/// One of our services running as its own process (<c>dotnet LlmServe.X.dll</c>), configured through
/// environment variables exactly as compose/k8s configure it. Output is kept for failure messages.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<OutputWatch> _watches = [];
    private readonly Process _process;

    private ServiceProcess(string service, Process process)
    {
        Service = service;
        _process = process;
    }

    public string Service { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public string Output => string.Join('\n', _lines);

    /// <summary>Starts counting the lines that contain <paramref name="marker"/> from now on.</summary>
    public OutputWatch Watch(string marker)
    {
        var watch = new OutputWatch(marker);
        lock (_watches)
        {
            _watches.Add(watch);
        }
        return watch;
    }

    /// <summary>Resident set size of the process now (VmRSS in /proc), in bytes; 0 once it has exited.</summary>
    public long ResidentBytes
    {
        get
        {
            try
            {
                foreach (string line in File.ReadLines($"/proc/{Id}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                        return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
            }
            return 0;
        }
    }

    public static ServiceProcess Start(string service, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryLayout.Root,
        };
        info.ArgumentList.Add(RepositoryLayout.ServiceDll(service));
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{service} did not start");
        var started = new ServiceProcess(service, process);
        process.OutputDataReceived += (_, e) => started.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => started.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits until a line of output contains <paramref name="marker"/>; fails with the output if the process dies first.</summary>
    public async Task WaitForOutputAsync(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_lines.Any(l => l.Contains(marker, StringComparison.Ordinal)))
            {
                return;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Service} exited with {_process.ExitCode} before '{marker}':\n{Output}");
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{Service} did not print '{marker}' within {timeout}:\n{Output}");
    }

    /// <summary>Kills the process at once (a crash, not a shutdown).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _lines.Enqueue(line);
        lock (_watches)
        {
            foreach (OutputWatch watch in _watches)
            {
                watch.Offer(line);
            }
        }
        while (_lines.Count > 2000 && _lines.TryDequeue(out _))
        {
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Service).Append(" (pid ").Append(Id).Append(')');
        return sb.ToString();
    }
}
