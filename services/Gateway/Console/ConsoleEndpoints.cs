using System.Text.Json;
using LlmServe.Gateway.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LlmServe.Gateway.Console;

/// <summary>
/// The web console: the page at <c>/</c>, its files under <c>/console/</c>, and <c>GET /console/api/stats</c>
/// for the dashboard. The page and the stats are public like <c>/metrics</c> (numbers only, no prompt or
/// output text); the playground's calls go to <c>/v1</c> with the user's key like any other client.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>
    /// Only this origin: no inline script or style, no outside fetches, no framing. Canvas drawing and
    /// <c>element.style</c> from script are allowed under it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapGatewayConsole(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (!endpoints.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value.Console.Enabled)
        {
            return endpoints;
        }
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        endpoints.MapMethods("/", getOrHead, (HttpContext context, ConsoleAssets assets) => ServeAsync(context, assets, "index.html"));
        endpoints.MapMethods("/console/{*file}", getOrHead, (HttpContext context, ConsoleAssets assets, string file) =>
            file.StartsWith("api/", StringComparison.Ordinal) ? NotFound(context) : ServeAsync(context, assets, file));
        endpoints.MapGet("/console/api/stats", (HttpContext context, ConsoleStatsWriter stats) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers.CacheControl = "no-store";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter, OpenAi.Responses.JsonOutput.Options);
            stats.Write(writer);
            writer.Flush();
            return Task.CompletedTask;
        });
        return endpoints;
    }

    private static Task ServeAsync(HttpContext context, ConsoleAssets assets, string name)
    {
        var asset = assets.Find(name);
        if (asset is null)
        {
            return NotFound(context);
        }
        var headers = context.Response.Headers;
        // Unversioned file names: the browser may keep a copy but must revalidate it (cheap 304 by ETag), so a
        // new gateway build is picked up on the next load.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers[HeaderNames.XFrameOptions] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Content.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(asset.Content).AsTask();
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
