namespace ClientCertHttp.Testing;

/// <summary>
/// The fatal TLS alerts <see cref="MtlsTestServer"/> can answer a client certificate with
/// (<see cref="MtlsTestServerOptions.RejectWithTlsAlert"/>). The values are the alert codes of RFC 8446, section 6.
/// </summary>
/// <remarks>
/// The alert is produced by OpenSSL's own certificate-verification failure path (an <c>X509_V_ERR_*</c> code that
/// OpenSSL maps to exactly this alert), so it is the same record a real OpenSSL-based server such as nginx or
/// Envoy sends. A .NET client on Linux reports it in the innermost exception message in OpenSSL's words, for
/// example <c>tlsv1 alert unknown ca</c> or <c>sslv3 alert certificate expired</c>.
/// When the client sends no certificate at all, OpenSSL itself answers <c>certificate_required</c> (116) under
/// TLS 1.3 and <c>handshake_failure</c> (40) under TLS 1.2, whatever alert was chosen.
/// </remarks>
public enum TlsAlert
{
    /// <summary><c>handshake_failure</c> (40); OpenSSL: "sslv3 alert handshake failure".</summary>
    HandshakeFailure = 40,

    /// <summary><c>bad_certificate</c> (42); OpenSSL: "sslv3 alert bad certificate".</summary>
    BadCertificate = 42,

    /// <summary><c>unsupported_certificate</c> (43); OpenSSL: "sslv3 alert unsupported certificate".</summary>
    UnsupportedCertificate = 43,

    /// <summary><c>certificate_revoked</c> (44); OpenSSL: "sslv3 alert certificate revoked".</summary>
    CertificateRevoked = 44,

    /// <summary><c>certificate_expired</c> (45); OpenSSL: "sslv3 alert certificate expired".</summary>
    CertificateExpired = 45,

    /// <summary><c>certificate_unknown</c> (46); OpenSSL: "sslv3 alert certificate unknown".</summary>
    CertificateUnknown = 46,

    /// <summary><c>unknown_ca</c> (48); OpenSSL: "tlsv1 alert unknown ca".</summary>
    UnknownCA = 48,

    /// <summary><c>decrypt_error</c> (51); OpenSSL: "tlsv1 alert decrypt error".</summary>
    DecryptError = 51,

    /// <summary><c>internal_error</c> (80); OpenSSL: "tlsv1 alert internal error".</summary>
    InternalError = 80,

    /// <summary>
    /// <c>certificate_required</c> (116, TLS 1.3); OpenSSL: "tlsv13 alert certificate required". Only for
    /// <see cref="MtlsTestServerOptions.RejectClientHelloWithTlsAlert"/>: with <see cref="MtlsTestServerOptions.RejectWithTlsAlert"/>,
    /// OpenSSL sends it by itself to a client that sends no certificate.
    /// </summary>
    CertificateRequired = 116,
}
