using LlmServe.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>This gateway instance's id on the bus (prefix of its reply subjects).</summary>
public sealed class GatewayIdentity(IOptions<GatewayOptions> options)
{
    public string Id { get; } = string.IsNullOrWhiteSpace(options?.Value.GatewayId)
        ? "gw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))
        : options.Value.GatewayId!;
}
