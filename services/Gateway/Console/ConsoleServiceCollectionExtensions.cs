using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmServe.Gateway.Console;

/// <summary>Registers the web console's options, embedded assets and stats collector.</summary>
public static class ConsoleServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection(ConsoleOptions.SectionName));
        services.AddSingleton(_ => ConsoleAssets.Load(typeof(ConsoleAssets).Assembly));
        services.AddSingleton<ConsoleStatsCollector>();
        services.AddSingleton<ConsoleStatsWriter>();
        return services;
    }
}
