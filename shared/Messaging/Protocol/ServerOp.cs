using System.Buffers;

namespace LlmServe.Messaging.Protocol;

/// <summary>
/// One parsed server operation. The spans and sequences point into the parser's input (or its scratch line
/// buffer) and are valid only until the next parse call or until the reader advances past them.
/// </summary>
internal readonly ref struct ServerOp
{
    public ServerOpKind Kind { get; init; }

    /// <summary>MSG/HMSG subject.</summary>
    public ReadOnlySpan<byte> Subject { get; init; }

    /// <summary>MSG/HMSG reply-to; empty when absent.</summary>
    public ReadOnlySpan<byte> ReplyTo { get; init; }

    public long Sid { get; init; }

    /// <summary>HMSG header block (including the NATS/1.0 line and the closing blank line).</summary>
    public ReadOnlySequence<byte> Headers { get; init; }

    public ReadOnlySequence<byte> Payload { get; init; }

    /// <summary>INFO JSON or the -ERR text without quotes.</summary>
    public ReadOnlySpan<byte> Text { get; init; }
}
