using System.ComponentModel.DataAnnotations;

namespace LlmServe.Hosting;

/// <summary>Settings every service shares (configuration section "Service").</summary>
public sealed class ServiceDefaultsOptions
{
    public const string SectionName = "Service";

    /// <summary>Console log format: "simple" for people, "json" for log collectors.</summary>
    [RegularExpression("^(simple|json)$", ErrorMessage = "Service:LogFormat must be 'simple' or 'json'.")]
    public string LogFormat { get; set; } = "simple";

    /// <summary>OTLP endpoint for metrics and traces; empty disables export. Also read from OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How long a stopping service waits for in-flight work before it exits.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
