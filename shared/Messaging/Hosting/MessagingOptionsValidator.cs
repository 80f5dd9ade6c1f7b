using Microsoft.Extensions.Options;

namespace LlmServe.Messaging.Hosting;

/// <summary>Start-up validation: the same checks the buses run, reported as options failures.</summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        try
        {
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
