using LlmServe.Gateway.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Errors;

/// <summary>
/// Turns every failure into an OpenAI-shaped error: <see cref="ApiException"/>s, Kestrel's bad-request
/// exceptions (body too large, malformed framing), unexpected exceptions (500, logged without the body), and
/// bare error statuses from routing (404, 405) that have no body yet. Also counts responses by status.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, GatewayMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null)
            {
                await ErrorResponseWriter.WriteAsync(context, ErrorCatalog.FromStatus(context.Response.StatusCode)).ConfigureAwait(false);
            }
        }
        catch (ApiException ex)
        {
            await ErrorResponseWriter.WriteAsync(context, ex.Error).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ErrorCatalog.FromStatus(StatusCodes.Status413PayloadTooLarge)
                : ErrorCatalog.InvalidRequest("The request could not be read: " + ex.Message);
            await ErrorResponseWriter.WriteAsync(context, error).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnhandled(logger, ex, context.Request.Path);
            await ErrorResponseWriter.WriteAsync(context, ErrorCatalog.Internal("The server failed to process the request.")).ConfigureAwait(false);
        }
        finally
        {
            metrics.CountHttpResponse(context.Request.Path, context.Response.StatusCode);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, PathString path);
}
