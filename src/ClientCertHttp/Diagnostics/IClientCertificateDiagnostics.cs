namespace ClientCertHttp.Diagnostics;

/// <summary>
/// Serves the readiness report of each client-certificate client: what can be known offline about whether servers
/// will accept its certificate.
/// </summary>
/// <remarks>
/// Registered by <c>AddClientCertHttpClient</c> and <c>AddClientCertificate</c>. A report is made once per loaded
/// certificate (at startup and after each rotation) and logged at Information (events 60 and 61); reading it costs
/// nothing. Thread-safe.
/// </remarks>
public interface IClientCertificateDiagnostics
{
    /// <summary>Gets the readiness report of the certificate the client uses now.</summary>
    /// <param name="clientName">The name of a client registered with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <returns>The report of the current certificate.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is empty or not a client-certificate client.</exception>
    /// <exception cref="ClientCertificateException">The client's certificate cannot be loaded (the same error that fails startup).</exception>
    ClientCertificateReadinessReport GetReadinessReport(string clientName);

    /// <summary>
    /// Gets the readiness report of one identity of a per-identity client: the certificate that requests naming
    /// <paramref name="identity"/> are sent with. Loads the identity first when it is not loaded (as its first request
    /// would), so the report can be read before any request, for example in a readiness probe.
    /// </summary>
    /// <param name="clientName">The name of a client registered with identities (<c>Identities</c> or an identity provider).</param>
    /// <param name="identity">The identity, as configured or as the identity provider knows it.</param>
    /// <param name="cancellationToken">Cancels loading the identity.</param>
    /// <returns>The report of the identity's current certificate.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> or <paramref name="identity"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> or <paramref name="identity"/> is empty, or <paramref name="clientName"/> is not a client-certificate client.</exception>
    /// <exception cref="ClientCertificateException">
    /// The identity is unknown (<see cref="ClientCertificateFailureReason.UnknownIdentity"/>) or its certificate cannot
    /// be loaded (the error its first request would fail with).
    /// </exception>
    ValueTask<ClientCertificateReadinessReport> GetReadinessReportAsync(string clientName, string identity, CancellationToken cancellationToken = default);

    /// <summary>Gets the readiness reports of every client-certificate client whose certificate is loaded.</summary>
    /// <returns>One report per loaded client, ordered by client name.</returns>
    IReadOnlyList<ClientCertificateReadinessReport> GetReadinessReports();

    /// <summary>
    /// Explains a failed request of a client: which side failed (this client's trust checks, the server rejecting the
    /// certificate, a server that never asked for one, the network) and the evidence. Use it where the platform's
    /// exception reaches you unchanged (with the client's retry pipeline off, retries enabled already attach the
    /// diagnosis to <see cref="ClientCertHttpRequestException.Diagnosis"/>).
    /// </summary>
    /// <param name="clientName">The name of a client registered with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <param name="requestUri">The absolute URI of the failed request (its host and port are probed).</param>
    /// <param name="exception">The exception the request threw.</param>
    /// <param name="cancellationToken">Cancels the diagnosis (a diagnostic handshake is bounded to 3 seconds anyway).</param>
    /// <returns>The diagnosis.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    /// <remarks>
    /// When the failure leaves a doubt, one diagnostic TLS handshake (presenting no certificate, checking the server as
    /// the client does) asks the server whether it wants a certificate and from which CAs; its result is reused for 30
    /// seconds per client, endpoint and certificate.
    /// </remarks>
    Task<ClientCertHttpFailureDiagnosis> DiagnoseAsync(string clientName, Uri requestUri, Exception exception, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains a response that refused a request (for example a 403 from a server that never asked for a client
    /// certificate, or nginx's 400 "No required SSL certificate was sent").
    /// </summary>
    /// <param name="clientName">The name of a client registered with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <param name="response">The response; its <see cref="HttpResponseMessage.RequestMessage"/> gives the endpoint.</param>
    /// <param name="cancellationToken">Cancels the diagnosis.</param>
    /// <returns>The diagnosis.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientName"/> is not a client-certificate client.</exception>
    Task<ClientCertHttpFailureDiagnosis> DiagnoseResponseAsync(string clientName, HttpResponseMessage response, CancellationToken cancellationToken = default);
}
