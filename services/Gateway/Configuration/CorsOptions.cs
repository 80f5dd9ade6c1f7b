namespace LlmServe.Gateway.Configuration;

/// <summary>Cross-origin access for browser clients; off unless origins are listed.</summary>
public sealed class CorsOptions
{
    /// <summary>Allowed origins (<c>*</c> for any); empty = CORS off.</summary>
    public List<string> AllowedOrigins { get; } = [];
}
