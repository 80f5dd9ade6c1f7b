using LlmServe.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace LlmServe.Gateway.Security;

/// <summary>
/// When API keys are configured, requires <c>Authorization: Bearer &lt;key&gt;</c> on the API paths (/v1,
/// /tokenize, /detokenize); health, readiness and metrics stay open for probes and scrapers.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyValidator validator)
{
    /// <summary>HttpContext.Items key holding the caller's key id, for rate limiting.</summary>
    public const string KeyIdItem = "llmserve.api_key_id";

    public Task InvokeAsync(HttpContext context)
    {
        if (!validator.Enabled || !IsProtected(context.Request.Path))
        {
            return next(context);
        }
        string? header = context.Request.Headers.Authorization;
        const string Scheme = "Bearer ";
        if (string.IsNullOrEmpty(header) || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return ErrorResponseWriter.WriteAsync(context, ErrorCatalog.MissingApiKey());
        }
        string? keyId = validator.Validate(header.AsSpan(Scheme.Length).Trim());
        if (keyId is null)
        {
            return ErrorResponseWriter.WriteAsync(context, ErrorCatalog.InvalidApiKey());
        }
        context.Items[KeyIdItem] = keyId;
        return next(context);
    }

    public static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.Ordinal)
        || path.StartsWithSegments("/tokenize", StringComparison.Ordinal)
        || path.StartsWithSegments("/detokenize", StringComparison.Ordinal);
}
