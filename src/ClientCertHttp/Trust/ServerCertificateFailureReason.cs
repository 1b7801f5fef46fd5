namespace ClientCertHttp.Trust;

/// <summary>
/// Says which check rejected a server's certificate. Reported through
/// <see cref="ServerCertificateValidationException.Reason"/>.
/// </summary>
/// <remarks>New values may be added in minor versions; treat unknown values as <see cref="InvalidChain"/>.</remarks>
public enum ServerCertificateFailureReason
{
    /// <summary>
    /// The chain is invalid for a reason no other value describes (for example a bad signature), or the platform could
    /// not build it at all (it threw a <see cref="System.Security.Cryptography.CryptographicException"/>, as OpenSSL-based
    /// .NET does for a chain whose name constraints are too many to check).
    /// </summary>
    InvalidChain = 0,

    /// <summary>The server sent no certificate.</summary>
    NoCertificate,

    /// <summary>The chain ends at a root certificate that is not trusted.</summary>
    UntrustedRoot,

    /// <summary>The chain could not be completed up to a root: an intermediate is missing (the server does not send it and <see cref="ServerTrustOptions.IntermediateCertificatesPath"/> does not have it), or the issuer is unknown.</summary>
    PartialChain,

    /// <summary>A certificate of the chain has expired.</summary>
    Expired,

    /// <summary>A certificate of the chain is not valid yet.</summary>
    NotYetValid,

    /// <summary>A certificate of the chain may not be used for server authentication (extended key usage).</summary>
    NotValidForServerAuthentication,

    /// <summary>The server's certificate is not issued for the host name the client connected to.</summary>
    NameMismatch,

    /// <summary>No certificate of the chain has one of the <see cref="ServerTrustOptions.PinnedPublicKeys"/>.</summary>
    PinMismatch,

    /// <summary>The server's certificate matches none of the <see cref="ServerTrustOptions.AllowedServerIdentities"/>.</summary>
    IdentityNotAllowed,

    /// <summary>A certificate of the chain has been revoked.</summary>
    Revoked,

    /// <summary>The revocation status of a certificate of the chain could not be determined (for example the CRL endpoint did not answer within <see cref="ServerTrustOptions.RevocationTimeout"/>).</summary>
    RevocationUnknown,

    /// <summary>An <see cref="IServerCertificateValidator"/> rejected the certificate.</summary>
    ValidatorRejected,

    /// <summary>The server's certificate is signed with SHA-1 or MD5 (see <see cref="ServerTrustOptions.AllowSha1SignedServerCertificate"/>).</summary>
    WeakSignatureAlgorithm,

    /// <summary>
    /// A certificate of the chain (the server's own, an intermediate or the root) has a weak key: RSA smaller than
    /// <see cref="ServerTrustOptions.MinimumRsaKeySize"/>, an elliptic curve under 256 bits (such as P-192), or DSA.
    /// </summary>
    WeakKey,

    /// <summary>The server's certificate has no subject alternative name (see <see cref="ServerTrustOptions.AllowServerCertificateWithoutSubjectAlternativeName"/>).</summary>
    MissingSubjectAlternativeName,

    /// <summary>The server's certificate is a CA certificate (see <see cref="ServerTrustOptions.AllowCertificateAuthorityAsServerCertificate"/>).</summary>
    CertificateAuthorityAsServerCertificate,

    /// <summary>
    /// A name of the server's certificate lies outside what the name constraints of a CA of its chain permit, or inside
    /// what they exclude — a wildcard name counts with every name it can match — or a CA's name constraints cannot be
    /// read (see <see cref="ServerTrustOptions.AllowWildcardNameConstraintOverlap"/>).
    /// </summary>
    NameConstraintViolation,

    /// <summary>The server's certificate has no extended key usage extension, so nothing says it is for TLS server authentication (see <see cref="ServerTrustOptions.AllowServerCertificateWithoutExtendedKeyUsage"/>).</summary>
    MissingServerAuthenticationUsage,

    /// <summary>The server's certificate may sign certificates (key usage keyCertSign) although it is not a CA certificate (see <see cref="ServerTrustOptions.AllowCertificateSigningKeyAsServerCertificate"/>).</summary>
    CertificateSigningKeyAsServerCertificate,
}
