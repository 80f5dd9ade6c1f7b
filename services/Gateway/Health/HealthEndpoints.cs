using LlmServe.Gateway.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmServe.Gateway.Health;

/// <summary>
/// GET /health: the process is up. GET /ready: every served model has a scheduler replica that recently
/// reported serving with workers (503 with the models that are not, otherwise).
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health", () => Results.Json(new HealthReport("ok", null)));
        endpoints.MapGet("/ready", (ModelCatalog catalog) =>
        {
            var notReady = catalog.ModelsNotReady();
            return catalog.HasModels && notReady.Count == 0
                ? Results.Json(new HealthReport("ready", null))
                : Results.Json(new HealthReport("not_ready", notReady), statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
