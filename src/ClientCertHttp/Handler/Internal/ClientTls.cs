using ClientCertHttp.Certificates;

namespace ClientCertHttp.Handler;

/// <summary>The one place a <see cref="SocketsHttpHandler"/> is given a client's certificate and server trust.</summary>
internal static class ClientTls
{
    /// <summary>
    /// Gives <paramref name="handler"/> the certificate context and server validation of <paramref name="state"/>.
    /// A client certificate or server validation set by other code is an error, not something silently replaced.
    /// </summary>
    /// <exception cref="ClientCertificateException">The handler already has TLS settings that ClientCertHttp owns.</exception>
    public static void ConfigureTls(string clientName, SocketsHttpHandler handler, ClientTlsState state)
    {
        // A handler is only ever built on a state that has a certificate: a per-identity client without one of its
        // own routes every request to an identity's handler.
        var certificate = state.Certificate
            ?? throw new InvalidOperationException($"HTTP client '{clientName}': a handler was built on a state without a client certificate.");
        var ssl = handler.SslOptions;
        if (ssl.ClientCertificates is { Count: > 0 }
            || ssl.LocalCertificateSelectionCallback is not null
            || (ssl.ClientCertificateContext is not null && !ReferenceEquals(ssl.ClientCertificateContext, certificate.Context)))
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

        ssl.ClientCertificateContext = certificate.Context;

        // A copy per handler (not per request): the handler owns its options. SslStream builds the server's chain once
        // per handshake with this policy, and the callback only reads that chain.
        ssl.CertificateChainPolicy = state.ServerTrust.ChainPolicy.Clone();
        ssl.RemoteCertificateValidationCallback = callback;
    }
}
