using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace LlmServe.Messaging.Transport;

/// <summary>
/// One TCP connection to a server, optionally upgraded to TLS after INFO. Exposes a <see cref="PipeReader"/>
/// for the parser and the <see cref="Stream"/> the writer loop writes to.
/// </summary>
internal sealed class SocketConnection : IAsyncDisposable
{
    private static readonly StreamPipeReaderOptions ReaderOptions =
        new(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true);

    private readonly Socket socket;
    private int aborted;

    private SocketConnection(Socket socket)
    {
        this.socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: false);
        Reader = PipeReader.Create(Stream, ReaderOptions);
    }

    public Stream Stream { get; private set; }

    public PipeReader Reader { get; private set; }

    public bool IsTls => Stream is SslStream;

    public static async Task<SocketConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new SocketConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Wraps the stream in TLS. Only valid right after INFO, before anything else was read or written.</summary>
    public async Task UpgradeToTlsAsync(SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        await Reader.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(Stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Stream = tls;
        Reader = PipeReader.Create(tls, ReaderOptions);
    }

    /// <summary>Breaks the connection so that pending reads and writes fail promptly.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref aborted, 1) == 0)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already broken: nothing left to shut down.
            }
            catch (ObjectDisposedException)
            {
                // Already disposed by a concurrent close.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        await Reader.CompleteAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
        socket.Dispose();
    }
}
