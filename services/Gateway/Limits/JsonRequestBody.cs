using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using LlmServe.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace LlmServe.Gateway.Limits;

/// <summary>
/// Reads a JSON request body within the size limit into a pooled buffer and parses it: wrong content type 415,
/// too large 413, invalid UTF-8 or malformed JSON or a non-object root 400. Dispose returns the buffer.
/// </summary>
public sealed class JsonRequestBody : IDisposable
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private byte[]? _buffer;

    private JsonRequestBody(byte[] buffer, JsonDocument document)
    {
        _buffer = buffer;
        Document = document;
    }

    public JsonDocument Document { get; }

    public JsonElement Root => Document.RootElement;

    public static async Task<JsonRequestBody> ReadAsync(HttpContext context, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        CheckContentType(request.ContentType);
        if (request.ContentLength > maxBytes)
        {
            throw new ApiException(ErrorCatalog.BodyTooLarge(maxBytes));
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, maxBytes) + 1);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > maxBytes)
                {
                    throw new ApiException(ErrorCatalog.BodyTooLarge(maxBytes));
                }
            }
            var body = buffer.AsMemory(0, length);
            if (length == 0)
            {
                throw new ApiException(ErrorCatalog.InvalidRequest("The request body is empty; send a JSON object."));
            }
            if (!Utf8.IsValid(body.Span))
            {
                throw new ApiException(ErrorCatalog.InvalidRequest("The request body is not valid UTF-8."));
            }
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body, ParseOptions);
            }
            catch (JsonException ex)
            {
                throw new ApiException(ErrorCatalog.InvalidRequest("The request body is not valid JSON: " + ex.Message));
            }
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new ApiException(ErrorCatalog.InvalidRequest("The request body must be a JSON object."));
            }
            var result = new JsonRequestBody(buffer, document);
            buffer = null!;
            return result;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public void Dispose()
    {
        Document.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CheckContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !(media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                 || media.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ApiException(ErrorCatalog.UnsupportedMediaType(contentType));
        }
    }
}
