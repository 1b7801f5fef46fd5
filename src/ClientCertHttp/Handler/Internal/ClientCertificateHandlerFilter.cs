using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// Runs after every other configuration of a client's handler pipeline and wraps the final primary
/// <see cref="SocketsHttpHandler"/> in a <see cref="RotatingClientCertificateHandler"/> that gives it the client's
/// certificate and server trust. Because it runs last, a user's own <c>ConfigurePrimaryHttpMessageHandler</c> or
/// <c>UseSocketsHttpHandler</c> cannot silently drop the certificate: a primary handler that cannot carry it is an
/// error, not a client without a certificate.
/// </summary>
internal sealed class ClientCertificateHandlerFilter(
    ClientCertHttpClientRegistry registry,
    IServiceProvider services,
    ILoggerFactory loggerFactory) : IHttpMessageHandlerBuilderFilter
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName);

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return builder =>
        {
            next(builder);

            var name = builder.Name;
            if (name is null || !registry.Contains(name))
            {
                return;
            }

            var source = services.GetRequiredKeyedService<ClientCertificateSource>(name);
            var handler = RequireSocketsHttpHandler(name, builder.PrimaryHandler);
            builder.PrimaryHandler = ClientCertificatePrimaryHandler.Create(
                source,
                () => services.GetRequiredKeyedService<ClientCertHttp.Identities.ClientCertificateIdentityPool>(name),
                handler,
                _logger);
        };
    }

    private static SocketsHttpHandler RequireSocketsHttpHandler(string clientName, HttpMessageHandler primaryHandler) =>
        primaryHandler as SocketsHttpHandler
        ?? throw new ClientCertificateException(
            clientName,
            ClientCertificateFailureReason.UnsupportedPrimaryHandler,
            $"HTTP client '{clientName}': its primary handler is {primaryHandler.GetType().FullName}, but a client certificate with its full chain can only be attached to a SocketsHttpHandler. Remove the ConfigurePrimaryHttpMessageHandler call that replaces it, or make it return a SocketsHttpHandler (UseSocketsHttpHandler configures the one ClientCertHttp uses).");
}
