using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmServe.Gateway.Metrics;

/// <summary>GET /metrics in Prometheus text format.</summary>
public static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetricsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/metrics", (PrometheusExporter exporter) =>
            Results.Text(exporter.Render(), PrometheusExporter.ContentType));
        return endpoints;
    }
}
