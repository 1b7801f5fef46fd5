using System.Net.Http;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// A named options type whose only purpose is a startup check: building the client's handler pipeline once at
/// startup proves that the final primary handler carries the certificate, so a client that would send no certificate
/// never starts. The pipeline built here is the one the factory hands to the first requests.
/// </summary>
internal sealed class HandlerStartupCheck
{
}

internal sealed class HandlerStartupCheckValidator(
    ClientCertHttpClientRegistry registry,
    IOptionsMonitor<ClientCertHttpOptions> optionsMonitor,
    IHttpMessageHandlerFactory handlerFactory) : IValidateOptions<HandlerStartupCheck>
{
    public ValidateOptionsResult Validate(string? name, HandlerStartupCheck options)
    {
        if (name is null || !registry.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            optionsMonitor.Get(name);
        }
        catch (OptionsValidationException)
        {
            // Already reported by the validation of the client's options.
            return ValidateOptionsResult.Skip;
        }

        // Handlers from the factory ignore Dispose; the factory owns and rotates them.
        using var handler = handlerFactory.CreateHandler(name);
        return ValidateOptionsResult.Success;
    }
}
