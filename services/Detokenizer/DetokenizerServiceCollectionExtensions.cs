using LlmServe.Tokenization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LlmServe.Detokenizer;

public static class DetokenizerServiceCollectionExtensions
{
    /// <summary>Adds one detokenizer shard bound to the "Detokenizer" section. Needs an <c>IMessageBus</c> in DI.</summary>
    public static IServiceCollection AddDetokenizerService(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DetokenizerOptions>()
            .Bind(configuration.GetSection(DetokenizerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider =>
            HfTokenizer.LoadFromDirectory(provider.GetRequiredService<IOptions<DetokenizerOptions>>().Value.ModelDirectory));
        services.AddHostedService<DetokenizerService>();
        services.AddHostedService<DetokenizerHeartbeatService>();
        return services;
    }
}
