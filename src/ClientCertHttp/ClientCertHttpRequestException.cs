using System.Net.Http;
using ClientCertHttp.Resilience;

namespace ClientCertHttp;

/// <summary>
/// The exception a client-certificate HTTP client throws when a request failed for a reason of certificates or trust:
/// the server rejected the client certificate, this client rejected the server's certificate, or the TLS handshake
/// failed. Such failures are never retried (a rejected client certificate at most triggers one reload and one more
/// attempt).
/// </summary>
/// <remarks>
/// It derives from <see cref="HttpRequestException"/> and keeps the platform's <see cref="HttpRequestException.HttpRequestError"/>
/// and inner exception (for example the <see cref="System.Security.Authentication.AuthenticationException"/>), so code
/// that handles <see cref="HttpRequestException"/> keeps working. The message adds which client, which certificate and
/// what to check, and <see cref="Diagnosis"/> says which side failed. Also thrown, with <see cref="ClientCertificateFailureReason.ConnectionFailed"/>,
/// when no connection could be made. Thrown only while the client's retry pipeline is enabled; with it off, the
/// platform's exception is thrown unchanged and <see cref="Diagnostics.IClientCertificateDiagnostics.DiagnoseAsync(string, Uri, Exception, CancellationToken)"/>
/// gives the same diagnosis.
/// </remarks>
public sealed class ClientCertHttpRequestException : HttpRequestException
{
    /// <summary>
    /// Initializes a new instance of the <see cref="ClientCertHttpRequestException"/> class.
    /// </summary>
    /// <param name="clientName">The name of the HTTP client.</param>
    /// <param name="reason">Why the request failed.</param>
    /// <param name="classification">How the failure was recognized.</param>
    /// <param name="attempts">How many attempts were made.</param>
    /// <param name="message">The message.</param>
    /// <param name="httpRequestError">The platform's error kind, copied from the original exception.</param>
    /// <param name="innerException">The platform's inner exception, copied from the original exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="clientName"/> or <paramref name="classification"/> is <see langword="null"/>.</exception>
    public ClientCertHttpRequestException(
        string clientName,
        ClientCertificateFailureReason reason,
        HttpFailureClassification classification,
        int attempts,
        string message,
        HttpRequestError httpRequestError,
        Exception? innerException)
        : base(httpRequestError, message, innerException)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        ArgumentNullException.ThrowIfNull(classification);
        ClientName = clientName;
        Reason = reason;
        Classification = classification;
        Attempts = attempts;
    }

    /// <summary>Gets the name of the HTTP client.</summary>
    public string ClientName { get; }

    /// <summary>
    /// Gets why the request failed: <see cref="ClientCertificateFailureReason.ClientCertificateRejectedByServer"/>,
    /// <see cref="ClientCertificateFailureReason.ServerCertificateRejected"/>,
    /// <see cref="ClientCertificateFailureReason.TlsHandshakeFailed"/> or
    /// <see cref="ClientCertificateFailureReason.ConnectionFailed"/>.
    /// </summary>
    public ClientCertificateFailureReason Reason { get; }

    /// <summary>Gets how the failure was recognized.</summary>
    public HttpFailureClassification Classification { get; }

    /// <summary>Gets how many attempts were made (1 when nothing was retried).</summary>
    public int Attempts { get; }

    /// <summary>
    /// Gets which side failed and the evidence (TLS alert, the server's acceptable CA names and whether this client's
    /// chain matches one), computed once for this failure; <see langword="null"/> when none was made.
    /// </summary>
    public Diagnostics.ClientCertHttpFailureDiagnosis? Diagnosis { get; init; }
}
