using ClientCertHttp.Certificates;
using ClientCertHttp.Identities;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Handler;

/// <summary>
/// The handler that gives a client's connections their certificate, for IHttpClientFactory's handlers and for the
/// handlers of <see cref="IClientCertificateHandlerFactory"/> alike: a per-identity client routes each request by the
/// identity it names (its own certificate, if any, for a request that names none); any other client rotates its one
/// certificate.
/// </summary>
internal static class ClientCertificatePrimaryHandler
{
    /// <param name="source">The client's certificate source.</param>
    /// <param name="identities">Gets the client's identity pool; called only for a client with identities.</param>
    /// <param name="handler">The primary handler the caller configured.</param>
    /// <param name="logger">The library's logger.</param>
    public static HttpMessageHandler Create(ClientCertificateSource source, Func<ClientCertificateIdentityPool> identities, SocketsHttpHandler handler, ILogger logger) =>
        source.HasIdentities
            ? new IdentityRoutingHandler(
                identities(),
                handler,
                source.Current.Certificate is null ? null : own => new RotatingClientCertificateHandler(source, own, logger))
            : new RotatingClientCertificateHandler(source, handler, logger);
}
