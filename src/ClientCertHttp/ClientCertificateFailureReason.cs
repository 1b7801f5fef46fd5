using ClientCertHttp.Certificates;

namespace ClientCertHttp;

/// <summary>
/// Says why a client certificate, or the configuration around it, could not be used.
/// </summary>
/// <remarks>
/// Every value is reported through <see cref="ClientCertificateException.Reason"/>. New values may be added
/// in minor versions; treat unknown values as a generic configuration failure.
/// </remarks>
public enum ClientCertificateFailureReason
{
    /// <summary>The configuration is incomplete or contains an unknown key or a value of the wrong shape.</summary>
    InvalidConfiguration = 0,

    /// <summary>No certificate source is configured, so the client would send no certificate.</summary>
    NoCertificateConfigured,

    /// <summary>A configured file does not exist.</summary>
    FileNotFound,

    /// <summary>A configured file exists but cannot be read (permissions, a folder instead of a file, an I/O error).</summary>
    FileUnreadable,

    /// <summary>A PKCS#12 (PFX) file is well formed but its integrity check fails with the configured password.</summary>
    WrongPassword,

    /// <summary>A file is not in the expected format, or is truncated or corrupt.</summary>
    InvalidFormat,

    /// <summary>A PKCS#12 (PFX) file exceeds the loader's work or size limits (for example a very high iteration count).</summary>
    LoaderLimitExceeded,

    /// <summary>No certificate in the source has a private key, so it cannot prove the client's identity.</summary>
    NoPrivateKey,

    /// <summary>Several certificates with private keys were found and no rule chooses among them.</summary>
    AmbiguousCertificate,

    /// <summary>The configured selector (for example a thumbprint) matches no certificate in the source.</summary>
    CertificateNotFound,

    /// <summary>The certificate's validity period has ended.</summary>
    Expired,

    /// <summary>The certificate's validity period has not started yet.</summary>
    NotYetValid,

    /// <summary>The certificate restricts its use (extended key usage) and client authentication is not among the allowed uses.</summary>
    MissingClientAuthenticationUsage,

    /// <summary>The certificate's key usage extension does not allow digital signatures, which TLS client authentication needs.</summary>
    MissingDigitalSignatureUsage,

    /// <summary>The HTTP client's primary handler is not a <see cref="System.Net.Http.SocketsHttpHandler"/>, or it already carries a conflicting certificate setting.</summary>
    UnsupportedPrimaryHandler,

    /// <summary>The server trust settings (for example the custom root certificates) are invalid.</summary>
    InvalidServerTrust,

    /// <summary>More than one certificate source (file, store, inline value, folder, provider) is configured for one client.</summary>
    MultipleCertificateSources,

    /// <summary>The private key does not belong to the certificate (or is of another key type).</summary>
    KeyDoesNotMatchCertificate,

    /// <summary>The private key is in a format that cannot be loaded (for example a legacy OpenSSL <c>Proc-Type: 4,ENCRYPTED</c> key).</summary>
    UnsupportedKeyFormat,

    /// <summary>A custom <see cref="ICertificateProvider"/> threw, timed out, or returned no certificate.</summary>
    CertificateProviderFailed,

    /// <summary>
    /// The server rejected the client certificate during or right after the TLS handshake (or answered with a status
    /// that says so). Reported at run time through <see cref="ClientCertHttpRequestException"/>.
    /// </summary>
    ClientCertificateRejectedByServer,

    /// <summary>
    /// This client's trust checks rejected the server's certificate (chain, host name or validity). Reported at run
    /// time through <see cref="ClientCertHttpRequestException"/>.
    /// </summary>
    ServerCertificateRejected,

    /// <summary>
    /// The TLS handshake failed for another reason (for example no protocol version or cipher suite in common).
    /// Reported at run time through <see cref="ClientCertHttpRequestException"/>.
    /// </summary>
    TlsHandshakeFailed,

    /// <summary>
    /// A request failed because no connection could be made (refused, unreachable, name not resolved), after any
    /// retries; reported by <see cref="ClientCertHttpRequestException"/> with a diagnosis.
    /// </summary>
    ConnectionFailed,

    /// <summary>
    /// A request named an identity that the per-identity client does not know: not in
    /// <c>Identities:Certificates</c>, not in <c>Identities:Directory</c>, and unknown to the identity provider.
    /// </summary>
    UnknownIdentity,

    /// <summary>A request of a client that has identities but no certificate of its own named no identity.</summary>
    IdentityRequired,
}
