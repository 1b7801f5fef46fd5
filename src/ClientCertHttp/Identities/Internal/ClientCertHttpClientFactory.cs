using ClientCertHttp.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Identities;

/// <summary>
/// Creates identity-bound clients over the factory's handlers, configured by the client's
/// <see cref="HttpClientFactoryOptions.HttpClientActions"/> exactly as <c>IHttpClientFactory.CreateClient</c> does.
/// </summary>
internal sealed class ClientCertHttpClientFactory(
    ClientCertHttpClientRegistry registry,
    IHttpMessageHandlerFactory handlers,
    IOptionsMonitor<HttpClientFactoryOptions> factoryOptions) : IClientCertHttpClientFactory
{
    public HttpClient CreateClient(string clientName, string identity)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientName);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        if (!registry.Contains(clientName))
        {
            throw new InvalidOperationException($"'{clientName}' is not an HTTP client registered with AddClientCertHttpClient or AddClientCertificate.");
        }

        // The factory's handler ignores Dispose (the factory owns and rotates it), so the client may be disposed freely.
        var client = new HttpClient(new IdentityHandler(identity, handlers.CreateHandler(clientName)), disposeHandler: true);
        foreach (var action in factoryOptions.Get(clientName).HttpClientActions)
        {
            action(client);
        }

        return client;
    }

    /// <summary>Names the identity on every request that does not name one itself.</summary>
    private sealed class IdentityHandler(string identity, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Stamp(request);
            return base.SendAsync(request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Stamp(request);
            return base.Send(request, cancellationToken);
        }

        private void Stamp(HttpRequestMessage request)
        {
            if (!request.Options.TryGetValue(ClientCertificateIdentityRequestExtensions.IdentityKey, out _))
            {
                request.Options.Set(ClientCertificateIdentityRequestExtensions.IdentityKey, identity);
            }
        }
    }
}
