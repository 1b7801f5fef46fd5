namespace ClientCertHttp.Handler;

/// <summary>
/// Creates message handlers that carry a registered client's certificate, server trust, rotation and failure
/// diagnosis, for code that builds its own <see cref="HttpMessageInvoker"/> outside <c>IHttpClientFactory</c>, such as
/// a reverse proxy's forwarder (the ClientCertHttp.Yarp package uses it for YARP clusters).
/// </summary>
/// <remarks>
/// <para>
/// Registered as a singleton by <c>AddClientCertHttpClient</c> and <c>AddClientCertificate</c>. The client's options,
/// certificate source and reloads are the ones of the named client: a handler created here and the client's
/// <see cref="HttpClient"/> present the same certificate and move to a renewed one at the same time.
/// </para>
/// <para>
/// The handlers never retry and never buffer a request: a request is sent once, as given, which is what a proxy that
/// streams request bodies needs. The client's <c>Retry</c>, <c>BaseAddress</c> and <c>Warmup</c> options do not apply
/// to them.
/// </para>
/// <para>
/// For a client with identities, each request goes with the certificate of the identity it names
/// (<c>SetClientCertificateIdentity</c>, for example in a proxy's request transform), over that identity's own
/// connections, which the client's <see cref="HttpClient"/> requests share; a request that names none goes with the
/// client's own certificate, or fails with <see cref="ClientCertificateFailureReason.IdentityRequired"/> when it has
/// none. Those connections use the client's handler settings, not the given handler's.
/// </para>
/// </remarks>
public interface IClientCertificateHandlerFactory
{
    /// <summary>Gets the names of the clients registered with a client certificate.</summary>
    /// <value>The names given to <c>AddClientCertHttpClient</c> or to the builders <c>AddClientCertificate</c> was called on.</value>
    IReadOnlyCollection<string> ClientNames { get; }

    /// <summary>
    /// Wraps <paramref name="primaryHandler"/>, configured by the caller as it wants its connections (proxy, redirects,
    /// decompression, timeouts, …), in a handler that gives it the client's certificate and server trust.
    /// </summary>
    /// <param name="clientName">The name of a registered client, one of <see cref="ClientNames"/>.</param>
    /// <param name="primaryHandler">
    /// A new, unused handler. Its TLS client certificate and server certificate validation belong to ClientCertHttp and
    /// must not be set. After a certificate reload a copy of it, with every setting, carries the new certificate.
    /// </param>
    /// <returns>
    /// The handler to send requests through. Disposing it disposes <paramref name="primaryHandler"/> and its copies;
    /// a failed request that is a certificate, trust or connection failure is thrown as
    /// <see cref="ClientCertHttpRequestException"/> with its diagnosis, and counted in the client's metrics.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> or <paramref name="primaryHandler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    /// <exception cref="ClientCertificateException">
    /// <paramref name="primaryHandler"/> already has a client certificate or server certificate validation, or the
    /// client's certificate cannot be loaded.
    /// </exception>
    HttpMessageHandler CreateHandler(string clientName, SocketsHttpHandler primaryHandler);
}
