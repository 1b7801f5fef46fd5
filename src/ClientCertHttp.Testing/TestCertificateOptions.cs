using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing;

/// <summary>
/// Knobs for a certificate issued by <see cref="TestCertificateAuthority"/>. Every property has a sensible
/// default, so a configure callback only needs to touch what a test is about.
/// </summary>
public sealed class TestCertificateOptions
{
    /// <summary>The key algorithm of the new certificate.</summary>
    /// <value>The default value is <see cref="TestKeyAlgorithm.Ecdsa"/> (P-256).</value>
    public TestKeyAlgorithm KeyAlgorithm { get; set; } = TestKeyAlgorithm.Ecdsa;

    /// <summary>The RSA modulus size in bits, used when <see cref="KeyAlgorithm"/> is <see cref="TestKeyAlgorithm.Rsa"/>.</summary>
    /// <value>The default value is 2048.</value>
    public int RsaKeySize { get; set; } = 2048;

    /// <summary>
    /// The hash algorithm of the certificate signature. <see cref="HashAlgorithmName.SHA1"/> is accepted (the built-in
    /// signature generators refuse it) so that tests can prove weak certificates are rejected.
    /// </summary>
    /// <value>The default value is SHA-256.</value>
    public HashAlgorithmName HashAlgorithm { get; set; } = HashAlgorithmName.SHA256;

    /// <summary>Start of the validity period. <see langword="null"/> means one hour ago.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>End of the validity period. <see langword="null"/> means 30 days from now.</summary>
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>
    /// Enhanced key usage OIDs (for example <c>1.3.6.1.5.5.7.3.2</c>, clientAuth).
    /// <see langword="null"/> means the default for the kind of certificate (clientAuth for client and
    /// self-signed certificates, serverAuth for server certificates); an empty list omits the extension.
    /// </summary>
    public IList<string>? EnhancedKeyUsages { get; set; }

    /// <summary>
    /// The key usage extension. <see langword="null"/> means DigitalSignature (plus KeyEncipherment for RSA keys,
    /// plus KeyCertSign and CrlSign when <see cref="IsCertificateAuthority"/> is set);
    /// <see cref="X509KeyUsageFlags.None"/> omits the extension.
    /// </summary>
    public X509KeyUsageFlags? KeyUsage { get; set; }

    /// <summary>DNS names for the subject alternative name extension.</summary>
    public IList<string> DnsNames { get; set; } = [];

    /// <summary>IP addresses for the subject alternative name extension.</summary>
    public IList<IPAddress> IpAddresses { get; set; } = [];

    /// <summary>URIs for the subject alternative name extension.</summary>
    public IList<Uri> UriNames { get; set; } = [];

    /// <summary>CRL distribution point URLs (for example a <see cref="CrlTestServer"/> address); empty omits the extension.</summary>
    public IList<Uri> CrlDistributionPoints { get; set; } = [];

    /// <summary>When <see langword="true"/>, the basic constraints extension says CA:true.</summary>
    public bool IsCertificateAuthority { get; set; }
}
