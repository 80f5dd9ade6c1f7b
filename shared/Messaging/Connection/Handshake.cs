using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using LlmServe.Messaging.Protocol;
using LlmServe.Messaging.Transport;

namespace LlmServe.Messaging.Connection;

/// <summary>
/// Opens one connection: TCP, INFO, optional TLS upgrade, then CONNECT + PING, and waits for the PONG that
/// proves the server accepted the credentials (with verbose off, a refusal arrives as -ERR instead).
/// </summary>
internal static class Handshake
{
    public static async Task<(SocketConnection Connection, ServerInfo Info)> ConnectAsync(NatsServerAddress address,
        NatsBusOptions options, ProtocolParser parser, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        SocketConnection? connection = null;
        try
        {
            connection = await SocketConnection.ConnectAsync(address.Host, address.Port, timeout.Token).ConfigureAwait(false);
            var info = await ReadInfoAsync(connection.Reader, parser, timeout.Token).ConfigureAwait(false);
            var useTls = DecideTls(address, options, info);
            if (useTls)
            {
                await connection.UpgradeToTlsAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.TlsHost ?? address.Host,
                    ClientCertificates = options.TlsClientCertificates,
                    RemoteCertificateValidationCallback = options.TlsCertificateValidation,
                }, timeout.Token).ConfigureAwait(false);
            }

            var frames = new ArrayBufferWriter<byte>(512);
            ConnectCommand.Write(frames, ResolveCredentials(address, options), options.Name, useTls);
            frames.Write(ProtocolWriter.Ping);
            await connection.Stream.WriteAsync(frames.WrittenMemory, timeout.Token).ConfigureAwait(false);
            info = await AwaitPongAsync(connection, parser, info, address, timeout.Token).ConfigureAwait(false);
            return (connection, info);
        }
        catch (Exception exception)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw exception switch
            {
                OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                    new BusConnectionException($"Connecting to {address} timed out after {options.ConnectTimeout.TotalMilliseconds} ms.", exception),
                SocketException or IOException =>
                    new BusConnectionException($"Cannot connect to {address}: {exception.Message}", exception),
                AuthenticationException =>
                    new BusConnectionException($"TLS handshake with {address} failed: {exception.Message}", exception),
                _ => exception,
            };
        }
    }

    /// <summary>Credentials from the options win over those in the URL.</summary>
    public static ConnectCredentials ResolveCredentials(NatsServerAddress address, NatsBusOptions options)
    {
        if (options.Token is not null)
        {
            return new ConnectCredentials(null, null, options.Token);
        }

        if (options.User is not null)
        {
            return new ConnectCredentials(options.User, options.Password, null);
        }

        return address.UrlCredentials;
    }

    private static bool DecideTls(NatsServerAddress address, NatsBusOptions options, ServerInfo info)
    {
        var wanted = options.TlsMode == NatsTlsMode.Require || address.TlsScheme;
        if (options.TlsMode == NatsTlsMode.Disable)
        {
            return info.TlsRequired
                ? throw new BusConnectionException($"{address} requires TLS but TlsMode is Disable.")
                : false;
        }

        if (wanted && !info.TlsRequired && !info.TlsAvailable)
        {
            throw new BusConnectionException($"TLS is required but {address} does not offer it.");
        }

        return wanted || info.TlsRequired;
    }

    private static async Task<ServerInfo> ReadInfoAsync(PipeReader reader, ProtocolParser parser, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var info = TryParseInfo(ref buffer, parser);
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (info is not null)
            {
                return info;
            }

            if (result.IsCompleted)
            {
                throw new BusConnectionException("The server closed the connection before sending INFO.");
            }
        }
    }

    private static ServerInfo? TryParseInfo(ref ReadOnlySequence<byte> buffer, ProtocolParser parser)
    {
        if (!parser.TryParse(ref buffer, out var op))
        {
            return null;
        }

        return op.Kind == ServerOpKind.Info
            ? ServerInfoParser.Parse(op.Text)
            : throw new BusProtocolException($"Expected INFO first, got {op.Kind}.");
    }

    private static async Task<ServerInfo> AwaitPongAsync(SocketConnection connection, ProtocolParser parser, ServerInfo info,
        NatsServerAddress address, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await connection.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var step = ProcessHandshakeOps(ref buffer, parser, ref info, address);
            connection.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (step.PongsOwed > 0)
            {
                for (var i = 0; i < step.PongsOwed; i++)
                {
                    await connection.Stream.WriteAsync(ProtocolWriter.Pong.ToArray(), cancellationToken).ConfigureAwait(false);
                }
            }

            if (step.Done)
            {
                return info;
            }

            if (result.IsCompleted)
            {
                throw new BusConnectionException($"{address} closed the connection during the handshake.");
            }
        }
    }

    private static (bool Done, int PongsOwed) ProcessHandshakeOps(ref ReadOnlySequence<byte> buffer, ProtocolParser parser,
        ref ServerInfo info, NatsServerAddress address)
    {
        var pongsOwed = 0;
        while (parser.TryParse(ref buffer, out var op))
        {
            switch (op.Kind)
            {
                case ServerOpKind.Pong:
                    return (true, pongsOwed);
                case ServerOpKind.Ping:
                    pongsOwed++;
                    break;
                case ServerOpKind.Info:
                    info = ServerInfoParser.Parse(op.Text);
                    break;
                case ServerOpKind.Err:
                    throw ServerErrors.ToException(Encoding.UTF8.GetString(op.Text), address);
                default:
                    break;
            }
        }

        return (false, pongsOwed);
    }
}
