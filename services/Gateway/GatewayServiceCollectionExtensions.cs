using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Console;
using LlmServe.Gateway.Health;
using LlmServe.Gateway.Limits;
using LlmServe.Gateway.Metrics;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.OpenAi;
using LlmServe.Gateway.OpenAi.Pipeline;
using LlmServe.Gateway.Security;
using LlmServe.Gateway.Tokenization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway;

/// <summary>Registers the gateway's services. The host supplies the <c>IMessageBus</c>.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds everything <see cref="GatewayApplicationExtensions.MapGateway"/> needs: options from section
    /// "Gateway" (validated at start), model discovery, the bus pipeline, security, metrics and limits.
    /// </summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        // Models
        services.AddSingleton<ModelCatalog>();
        services.AddHostedService<SchedulerStatusListener>();
        services.AddSingleton<ServiceInstanceRegistry>();
        services.AddHostedService<ServiceHeartbeatListener>();

        // Pipeline and endpoints
        services.AddSingleton<GatewayIdentity>();
        services.AddSingleton<TokenizeDispatcher>();
        services.AddSingleton<GenerationClient>();
        services.AddSingleton<GenerationHandler>();
        services.AddSingleton<TokenizationHandler>();

        // Limits: Kestrel enforces the body limit too, for bodies read outside our handlers, and the header limits.
        services.AddSingleton<InFlightLimiter>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>(
            (kestrel, gateway) =>
            {
                kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes;
                kestrel.Limits.MaxRequestHeadersTotalSize = gateway.Value.MaxRequestHeadersBytes;
                kestrel.Limits.MaxRequestHeaderCount = gateway.Value.MaxRequestHeaderCount;
                // The request line holds only the path: no prompt ever travels in a URL.
                kestrel.Limits.MaxRequestLineSize = Math.Min(8 * 1024, gateway.Value.MaxRequestHeadersBytes);
            });

        services.AddGatewaySecurity(configuration);
        services.AddGatewayMetrics();
        services.AddGatewayConsole();
        return services;
    }

    /// <summary>
    /// Instruments and the Prometheus exposition. OTLP export of the same meter (<c>LlmServe.Gateway</c>) comes
    /// from the service defaults (<c>AddServiceDefaults</c>) when an OTLP endpoint is configured.
    /// </summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<PrometheusExporter>();
        return services;
    }
}
