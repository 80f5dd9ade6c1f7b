using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Configuration;

/// <summary>Checks what data annotations cannot: cross-field rules and list contents.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.FirstTokenTimeout > options.RequestTimeout)
        {
            failures.Add("Gateway:FirstTokenTimeout must not exceed Gateway:RequestTimeout.");
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Gateway:ApiKeys must not contain empty keys.");
        }
        if (options.Models.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Gateway:Models must not contain empty names.");
        }
        foreach (var (alias, target) in options.ModelAliases)
        {
            if (string.IsNullOrWhiteSpace(alias) || string.IsNullOrWhiteSpace(target))
            {
                failures.Add("Gateway:ModelAliases entries need a non-empty alias and model.");
            }
        }
        if (options.RateLimit is null || options.RateLimit.RequestsPerSecond < 0 || options.RateLimit.Burst < 1)
        {
            failures.Add("Gateway:RateLimit needs RequestsPerSecond >= 0 and Burst >= 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
