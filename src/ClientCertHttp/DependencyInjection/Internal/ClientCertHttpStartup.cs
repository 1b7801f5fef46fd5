using ClientCertHttp.Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.DependencyInjection;

/// <summary>
/// A named options type (named after the client) whose only purpose is the client's startup step, run by
/// <c>ValidateOnStart</c>: it checks the options and loads the certificate once (<see cref="ClientCertificateSource.Start"/>),
/// then builds the client's handler pipeline once, proving that the final primary handler carries the certificate.
/// The pipeline built here is the one the factory hands to the first requests.
/// </summary>
internal sealed class ClientCertHttpStartup
{
}

/// <summary>
/// Runs the startup step. Problems are thrown as <see cref="ClientCertificateException"/> (an
/// <see cref="OptionsValidationException"/>), so the host reports the problems of every client together.
/// </summary>
internal sealed class ClientCertHttpStartupValidator(
    ClientCertHttpClientRegistry registry,
    IServiceProvider services,
    IHttpMessageHandlerFactory handlerFactory) : IValidateOptions<ClientCertHttpStartup>
{
    public ValidateOptionsResult Validate(string? name, ClientCertHttpStartup options)
    {
        if (name is null || !registry.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        services.GetRequiredKeyedService<ClientCertificateSource>(name).Start();

        // Handlers from the factory ignore Dispose; the factory owns and rotates them.
        using var handler = handlerFactory.CreateHandler(name);
        return ValidateOptionsResult.Success;
    }
}
