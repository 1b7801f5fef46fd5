namespace ClientCertHttp.Resilience;

/// <summary>
/// What kind of failure an HTTP request outcome is, as far as retrying goes. See
/// <see cref="HttpFailureClassifier"/> for how each category is recognized.
/// </summary>
/// <remarks>New values may be added in minor versions; treat unknown values as not retryable.</remarks>
public enum HttpFailureCategory
{
    /// <summary>Not a failure: a successful (1xx–3xx) response.</summary>
    None = 0,

    /// <summary>
    /// A failure that may go away by itself and is retried: connection refused or reset, DNS failure, a timeout, or
    /// HTTP 408, 429, 500, 502, 503 or 504.
    /// </summary>
    Transient,

    /// <summary>
    /// The server rejected the client certificate: a certificate TLS alert (bad_certificate, unknown_ca,
    /// certificate_expired, certificate_required, …), a connection the server closed right after the handshake
    /// without answering, or a status convention such as nginx's 400 "No required SSL certificate was sent".
    /// Not retried as such; it triggers at most one certificate reload and one more attempt.
    /// </summary>
    ClientCertificateRejected,

    /// <summary>This client's trust checks rejected the server's certificate. Never retried.</summary>
    ServerCertificateRejected,

    /// <summary>The TLS handshake failed for another reason (another TLS alert, no common protocol). Never retried.</summary>
    TlsHandshakeFailed,

    /// <summary>A response whose status code no retry changes: 4xx other than 408 and 429, and 5xx other than 500, 502, 503 and 504. Never retried.</summary>
    NonTransientStatusCode,

    /// <summary>The caller canceled the request. Never retried.</summary>
    Canceled,

    /// <summary>An exception the classifier does not recognize. Not retried, to stay on the safe side.</summary>
    Unclassified,
}
