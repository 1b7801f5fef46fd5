namespace ClientCertHttp.Testing;

/// <summary>
/// The kind of key pair generated for a test certificate.
/// </summary>
public enum TestKeyAlgorithm
{
    /// <summary>An ECDSA key on the NIST P-256 curve.</summary>
    Ecdsa,

    /// <summary>An RSA key (2048 bits unless <see cref="TestCertificateOptions.RsaKeySize"/> says otherwise).</summary>
    Rsa,
}
