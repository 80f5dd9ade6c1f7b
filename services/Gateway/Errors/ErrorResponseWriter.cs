using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LlmServe.Gateway.Errors;

/// <summary>Answers a request with an <see cref="ApiError"/> as an OpenAI-shaped JSON body.</summary>
public static class ErrorResponseWriter
{
    public static async Task WriteAsync(HttpContext context, ApiError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is int retry)
        {
            response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }
        using (var writer = new Utf8JsonWriter(response.BodyWriter, OpenAi.Responses.JsonOutput.Options))
        {
            ErrorJson.Write(writer, error);
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
