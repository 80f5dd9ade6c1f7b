using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmServe.Messaging.Tests.Fixtures;

/// <summary>
/// A scripted TCP peer that speaks just enough NATS to get a client connected, then misbehaves on purpose
/// (sends garbage, never answers PINGs, stops reading) — things a real nats-server will not do on demand.
/// </summary>
public sealed class FakeNatsServer : IDisposable
{
    public const string DefaultInfo = """INFO {"server_id":"fake","version":"2.9.0","proto":1,"headers":true,"max_payload":1048576}""";

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> accepted = [];

    public FakeNatsServer() => listener.Start();

    public string Url => $"nats://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Accepts one client, sends INFO and answers its CONNECT + PING with PONG.</summary>
    public async Task<Socket> AcceptAndHandshakeAsync(string info = DefaultInfo)
    {
        var socket = await AcceptAsync();
        await SendAsync(socket, info + "\r\n");
        await ReadUntilAsync(socket, "PING\r\n");
        await SendAsync(socket, "PONG\r\n");
        return socket;
    }

    public async Task<Socket> AcceptAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var socket = await listener.AcceptSocketAsync(deadline.Token);
        lock (accepted)
        {
            accepted.Add(socket);
        }

        return socket;
    }

    public static async Task SendAsync(Socket socket, string text) =>
        await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    public static async Task<string> ReadUntilAsync(Socket socket, string marker)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!seen.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (read == 0)
            {
                throw new IOException($"Client closed before sending '{marker.Trim()}'. Got: {seen}");
            }

            seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return seen.ToString();
    }

    public void Dispose()
    {
        lock (accepted)
        {
            foreach (var socket in accepted)
            {
                socket.Dispose();
            }
        }

        listener.Dispose();
    }
}
