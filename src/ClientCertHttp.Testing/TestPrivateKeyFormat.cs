namespace ClientCertHttp.Testing;

/// <summary>The PEM private key encodings <see cref="TestCertificateAuthority.ExportPrivateKeyPem(System.Security.Cryptography.X509Certificates.X509Certificate2, TestPrivateKeyFormat, string?, int)"/> can write.</summary>
public enum TestPrivateKeyFormat
{
    /// <summary>Unencrypted PKCS#8, "PRIVATE KEY".</summary>
    Pkcs8,

    /// <summary>Encrypted PKCS#8 (PBES2, AES-256-CBC, PBKDF2-SHA256), "ENCRYPTED PRIVATE KEY".</summary>
    EncryptedPkcs8,

    /// <summary>PKCS#1, "RSA PRIVATE KEY" (RSA keys only).</summary>
    Pkcs1,

    /// <summary>SEC1, "EC PRIVATE KEY" (ECDSA keys only).</summary>
    Sec1,
}
