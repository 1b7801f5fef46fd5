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

    /// <summary>Gets the readiness reports of every client-certificate client whose certificate is loaded.</summary>
    /// <returns>One report per loaded client, ordered by client name.</returns>
    IReadOnlyList<ClientCertificateReadinessReport> GetReadinessReports();
}
