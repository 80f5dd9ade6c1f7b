using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace LlmServe.Hosting;

/// <summary>Wires what every service needs the same way: logging, telemetry export, shutdown timeout.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The meter and activity-source prefix every service's instruments use.</summary>
    public const string TelemetryPrefix = "LlmServe";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(ServiceDefaultsOptions.SectionName);
        builder.Services.AddOptions<ServiceDefaultsOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        var options = section.Get<ServiceDefaultsOptions>() ?? new ServiceDefaultsOptions();

        builder.Logging.ClearProviders();
        if (string.Equals(options.LogFormat, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            });
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        string? otlp = options.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            var endpoint = new Uri(otlp);
            builder.Services.AddOpenTelemetry()
                .WithMetrics(m => m.AddMeter(TelemetryPrefix + ".*").AddOtlpExporter(o => o.Endpoint = endpoint))
                .WithTracing(t => t.AddSource(TelemetryPrefix + ".*").AddOtlpExporter(o => o.Endpoint = endpoint));
        }

        return builder;
    }
}
