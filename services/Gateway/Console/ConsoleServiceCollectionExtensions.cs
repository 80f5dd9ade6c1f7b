using Microsoft.Extensions.DependencyInjection;

namespace LlmServe.Gateway.Console;

/// <summary>Registers the web console's embedded assets and stats collector (its options are part of GatewayOptions).</summary>
public static class ConsoleServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayConsole(this IServiceCollection services)
    {
        services.AddSingleton(_ => ConsoleAssets.Load(typeof(ConsoleAssets).Assembly));
        services.AddSingleton<ConsoleStatsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<ConsoleStatsCollector>());
        services.AddSingleton<ConsoleStatsWriter>();
        return services;
    }
}
