using System.Net.Http;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// Runs after every other configuration of a client's handler pipeline and gives the final primary
/// <see cref="SocketsHttpHandler"/> the client's certificate context and server trust policy. Because it runs last,
/// a user's own <c>ConfigurePrimaryHttpMessageHandler</c> or <c>UseSocketsHttpHandler</c> cannot silently drop the
/// certificate: a primary handler that cannot carry it is an error, not a client without a certificate.
/// </summary>
internal sealed class ClientCertificateHandlerFilter(
    ClientCertHttpClientRegistry registry,
    IOptionsMonitor<ClientCertHttpOptions> optionsMonitor,
    ClientTlsStateCache cache,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : IHttpMessageHandlerBuilderFilter
{
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

            // Both calls return cached results: the certificate was loaded and validated at startup.
            var entry = cache.GetOrCreate(name, optionsMonitor.Get(name));
            var state = entry.Current;
            var handler = RequireSocketsHttpHandler(name, builder.PrimaryHandler);
            var userSslOptions = SocketsHttpHandlerSettings.Copy(handler.SslOptions);
            Apply(name, handler, state);
            builder.PrimaryHandler = new RotatingClientCertificateHandler(
                entry,
                handler,
                userSslOptions,
                state,
                (next, nextState) => Apply(name, next, nextState),
                timeProvider,
                loggerFactory.CreateLogger(Diagnostics.Log.CategoryName));
        };
    }

    private static SocketsHttpHandler RequireSocketsHttpHandler(string clientName, HttpMessageHandler primaryHandler) =>
        primaryHandler as SocketsHttpHandler
        ?? throw new ClientCertificateException(
            clientName,
            ClientCertificateFailureReason.UnsupportedPrimaryHandler,
            $"HTTP client '{clientName}': its primary handler is {primaryHandler.GetType().FullName}, but a client certificate with its full chain can only be attached to a SocketsHttpHandler. Remove the ConfigurePrimaryHttpMessageHandler call that replaces it, or make it return a SocketsHttpHandler (UseSocketsHttpHandler configures the one ClientCertHttp uses).");

    internal static void Apply(string clientName, SocketsHttpHandler handler, ClientTlsState state)
    {
        var ssl = handler.SslOptions;
        if (ssl.ClientCertificates is { Count: > 0 }
            || ssl.LocalCertificateSelectionCallback is not null
            || (ssl.ClientCertificateContext is not null && !ReferenceEquals(ssl.ClientCertificateContext, state.Certificate.Context)))
        {
            throw new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.UnsupportedPrimaryHandler,
                $"HTTP client '{clientName}': its SocketsHttpHandler already has a client certificate setting (SslOptions.ClientCertificates, ClientCertificateContext or LocalCertificateSelectionCallback) made by other code. ClientCertHttp owns the client certificate of this client; remove the other setting.");
        }

        var callback = state.ServerVerifier.Callback;
        if ((ssl.RemoteCertificateValidationCallback is not null && !ReferenceEquals(ssl.RemoteCertificateValidationCallback, callback))
            || (ssl.CertificateChainPolicy is not null && ssl.RemoteCertificateValidationCallback is null))
        {
            throw new ClientCertificateException(
                clientName,
                ClientCertificateFailureReason.UnsupportedPrimaryHandler,
                $"HTTP client '{clientName}': its SocketsHttpHandler has its own server certificate validation (SslOptions.RemoteCertificateValidationCallback or CertificateChainPolicy). Configure server trust through the client's ServerTrust options, and add rules of your own with AddServerCertificateValidator, so that chain and host name validation stay on.");
        }

        ssl.ClientCertificateContext = state.Certificate.Context;

        // A copy per handler (not per request): the handler owns its options. SslStream builds the server's chain once
        // per handshake with this policy, and the callback only reads that chain.
        ssl.CertificateChainPolicy = state.ServerTrust.ChainPolicy.Clone();
        ssl.RemoteCertificateValidationCallback = callback;
    }
}
