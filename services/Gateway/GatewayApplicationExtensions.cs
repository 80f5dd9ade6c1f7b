using LlmServe.Gateway.Console;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.Health;
using LlmServe.Gateway.Metrics;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.OpenAi;
using LlmServe.Gateway.Security;
using LlmServe.Gateway.Tokenization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LlmServe.Gateway;

/// <summary>Adds the gateway's middleware and endpoints to a web application.</summary>
public static class GatewayApplicationExtensions
{
    /// <summary>
    /// Error shaping (outermost, so every failure is OpenAI JSON), CORS, API keys, rate limits, then the
    /// OpenAI, tokenization, model, health and metrics endpoints, and the web console at <c>/</c>.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Start listening to the meter before the first request.
        _ = app.Services.GetRequiredService<PrometheusExporter>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseGatewaySecurity();
        app.MapOpenAiEndpoints();
        app.MapTokenizationEndpoints();
        app.MapModelEndpoints();
        app.MapHealthEndpoints();
        app.MapMetricsEndpoints();
        app.MapGatewayConsole();
        return app;
    }
}
