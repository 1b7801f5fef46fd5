namespace ClientCertHttp.Diagnostics;

/// <summary>
/// The stable code of one finding of a <see cref="ClientCertificateReadinessReport"/>.
/// </summary>
/// <remarks>
/// The names and numbers never change; new codes are added at the end. Search logs for the name (event
/// <c>ClientCertificateReadinessFinding</c>, property <c>Code</c>).
/// </remarks>
public enum ClientCertificateReadinessCode
{
    /// <summary>The certificate expires within <see cref="ClientCertHttpOptions.ExpiryWarningWindow"/> (warning).</summary>
    ExpiresSoon = 1,

    /// <summary>The certificate has expired (error).</summary>
    Expired = 2,

    /// <summary>The certificate is not valid yet, or the machine's clock is wrong (error).</summary>
    NotYetValid = 3,

    /// <summary>A certificate of the chain is signed with SHA-1 or MD5, which many servers refuse (warning).</summary>
    WeakSignatureAlgorithm = 4,

    /// <summary>A certificate of the chain has an RSA key smaller than 2048 bits, which many servers refuse (warning).</summary>
    WeakRsaKey = 5,

    /// <summary>
    /// The configured password begins or ends with white space or contains a line break, typically a newline
    /// copied from a secret file; only this fact is reported, never the password (warning).
    /// </summary>
    PasswordHasSurroundingWhitespace = 6,

    /// <summary>
    /// The handshake sends the certificate alone and its issuer is not available offline: when that issuer is an
    /// intermediate CA, a server that trusts only the root rejects the certificate (warning).
    /// </summary>
    ChainIncomplete = 7,

    /// <summary>
    /// An intermediate that is sent was found in this machine's certificate stores, not in the certificate source:
    /// another machine may send a shorter chain (warning).
    /// </summary>
    ChainDependsOnSystemStore = 8,

    /// <summary>The extended key usage does not allow TLS client authentication (error).</summary>
    NotForClientAuthentication = 9,

    /// <summary>The key usage lacks digitalSignature, which TLS client authentication needs (error).</summary>
    MissingDigitalSignatureUsage = 10,

    /// <summary>An intermediate that is sent has expired: servers reject the whole chain (error).</summary>
    IntermediateExpired = 11,

    /// <summary>An intermediate that is sent is not valid yet: servers reject the whole chain until then (error).</summary>
    IntermediateNotYetValid = 12,
}
