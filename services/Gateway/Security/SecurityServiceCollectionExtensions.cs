using System.Threading.RateLimiting;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Security;

/// <summary>Wires API keys, per-key rate limiting and CORS.</summary>
public static class SecurityServiceCollectionExtensions
{
    public const string CorsPolicy = "llmserve-gateway";

    public static IServiceCollection AddGatewaySecurity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<ApiKeyValidator>();
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(Partition);
            o.OnRejected = (rejected, _) =>
            {
                int retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
                    ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                return new ValueTask(ErrorResponseWriter.WriteAsync(rejected.HttpContext, ErrorCatalog.RateLimited(retry)));
            };
        });
        // CORS origins are read once here: a policy is fixed at start-up like the rest of the options.
        var origins = configuration.GetSection(GatewayOptions.SectionName).GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddPolicy(CorsPolicy, policy =>
        {
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }
            policy.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("X-Request-Id");
        }));
        return services;
    }

    /// <summary>Adds CORS (when origins are configured), API-key checks and the rate limiter, in that order.</summary>
    public static WebApplication UseGatewaySecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (options.Cors.AllowedOrigins.Count > 0)
        {
            app.UseCors(CorsPolicy);
        }
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimit;
        if (limit.RequestsPerSecond <= 0 || !ApiKeyMiddleware.IsProtected(context.Request.Path))
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }
        string key = context.Items[ApiKeyMiddleware.KeyIdItem] as string
            ?? "ip-" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return RateLimitPartition.GetTokenBucketLimiter(key, _ =>
        {
            // Fractional rates (0.5/s) become one token per longer period.
            bool slow = limit.RequestsPerSecond < 1;
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Burst,
                TokensPerPeriod = slow ? 1 : (int)Math.Round(limit.RequestsPerSecond, MidpointRounding.AwayFromZero),
                ReplenishmentPeriod = slow ? TimeSpan.FromSeconds(1 / limit.RequestsPerSecond) : TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
        });
    }
}
