using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LlmServe.Tokenizer;

public static class TokenizerServiceCollectionExtensions
{
    /// <summary>Adds a tokenizer replica bound to the "Tokenizer" section. Needs an <c>IMessageBus</c> in DI.</summary>
    public static IServiceCollection AddTokenizerService(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TokenizerServiceOptions>()
            .Bind(configuration.GetSection(TokenizerServiceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<TokenizerServiceOptions>>().Value;
            return ModelTokenizer.Load(options.ModelDirectory, options.MaxModelLen);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<TokenizerService>();
        services.AddHostedService<TokenizerHeartbeatService>();
        return services;
    }
}
