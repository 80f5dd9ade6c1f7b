using Microsoft.Extensions.Options;

namespace LlmServe.Messaging.Hosting;

/// <summary>Start-up validation: the same checks the buses run, reported as options failures.</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        try
        {
            if (options.RequireAuth && !options.UsesNats)
            {
                return ValidateOptionsResult.Fail($"{MessagingOptions.SectionName}:RequireAuth is set but {MessagingOptions.SectionName}:Url is empty: "
                    + "authentication needs a NATS server.");
            }
            if (options.RequireAuth && !options.HasCredentials)
            {
                return ValidateOptionsResult.Fail($"{MessagingOptions.SectionName}:RequireAuth is set but no NATS credentials are configured: set "
                    + $"{MessagingOptions.SectionName}:User and {MessagingOptions.SectionName}:Password (env Messaging__User, Messaging__Password) "
                    + $"or {MessagingOptions.SectionName}:Token.");
            }
            if (options.UsesNats)
            {
                options.ToNatsBusOptions().Validate();
            }
            else
            {
                options.ToInProcessBusOptions().Validate();
            }

            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail($"{MessagingOptions.SectionName}: {exception.Message}");
        }
    }
}
