namespace ClientCertHttp.Diagnostics;

/// <summary>Whether the key usages of a client certificate allow TLS client authentication.</summary>
public enum ClientCertificateUsageVerdict
{
    /// <summary>The extended key usage lists clientAuth (1.3.6.1.5.5.7.3.2).</summary>
    ClientAuthentication = 0,

    /// <summary>The extended key usage lists anyExtendedKeyUsage (2.5.29.37.0).</summary>
    AnyPurpose = 1,

    /// <summary>The certificate has no extended key usage extension, so it is not restricted.</summary>
    Unrestricted = 2,

    /// <summary>The extended key usage does not allow client authentication: servers reject the certificate.</summary>
    NotForClientAuthentication = 3,

    /// <summary>The key usage lacks digitalSignature, which the client needs to sign the handshake.</summary>
    MissingDigitalSignature = 4,
}
