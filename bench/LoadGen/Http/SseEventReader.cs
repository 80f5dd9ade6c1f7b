using System.Runtime.CompilerServices;
using System.Text;

namespace LlmServe.LoadGen.Http;

/// <summary>
/// Reads server-sent events as the HTML spec defines them: lines end in LF, CRLF or CR; <c>data:</c> lines
/// (one optional space after the colon) accumulate until a blank line dispatches the event; <c>:</c> lines are
/// comments; unknown fields are ignored. Unlike the spec, data still pending when the stream ends is dispatched,
/// because some servers close right after the last <c>data:</c> line.
/// </summary>
public static class SseEventReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        var data = new StringBuilder();
        bool hasData = false;
        string? type = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new SseEvent(type, data.ToString());
                }
                data.Clear();
                hasData = false;
                type = null;
                continue;
            }
            if (line[0] == ':')
            {
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line.AsSpan() : line.AsSpan(0, colon);
            var value = colon < 0 ? [] : line.AsSpan(colon + 1);
            if (value.Length > 0 && value[0] == ' ')
            {
                value = value[1..];
            }
            if (field.SequenceEqual("data"))
            {
                if (hasData)
                {
                    data.Append('\n');
                }
                data.Append(value);
                hasData = true;
            }
            else if (field.SequenceEqual("event"))
            {
                type = value.ToString();
            }
        }
        if (hasData)
        {
            yield return new SseEvent(type, data.ToString());
        }
    }
}
