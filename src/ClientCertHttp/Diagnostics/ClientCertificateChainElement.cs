using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Diagnostics;

/// <summary>
/// The public facts of one certificate of a client certificate's chain: names, thumbprint, validity, key and
/// signature algorithms. Never key material.
/// </summary>
public sealed class ClientCertificateChainElement
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string DsaOid = "1.2.840.10040.4.1";

    internal ClientCertificateChainElement(X509Certificate2 certificate)
    {
        Subject = certificate.Subject;
        Issuer = certificate.Issuer;
        Thumbprint = certificate.Thumbprint;
        SerialNumber = certificate.SerialNumber;
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        SignatureAlgorithm = certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value ?? "unknown";
        SignatureAlgorithmOid = certificate.SignatureAlgorithm.Value ?? string.Empty;
        IsSelfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
        (KeyAlgorithm, KeySize) = DescribeKey(certificate);
    }

    /// <summary>Gets the subject distinguished name.</summary>
    public string Subject { get; }

    /// <summary>Gets the issuer distinguished name.</summary>
    public string Issuer { get; }

    /// <summary>Gets the SHA-1 thumbprint (upper-case hexadecimal), as certificate stores and tools show it.</summary>
    public string Thumbprint { get; }

    /// <summary>Gets the serial number (hexadecimal).</summary>
    public string SerialNumber { get; }

    /// <summary>Gets the start of the validity period (UTC).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Gets the end of the validity period (UTC).</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>Gets the public key algorithm: <c>RSA</c>, <c>ECDSA</c>, <c>DSA</c>, or the key's OID for others.</summary>
    public string KeyAlgorithm { get; }

    /// <summary>Gets the key size in bits (the curve size for ECDSA), or 0 when it cannot be determined.</summary>
    public int KeySize { get; }

    /// <summary>Gets the name of the algorithm the certificate is signed with (for example <c>sha256RSA</c>).</summary>
    public string SignatureAlgorithm { get; }

    /// <summary>Gets the OID of the algorithm the certificate is signed with.</summary>
    public string SignatureAlgorithmOid { get; }

    /// <summary>Gets a value indicating whether the subject and the issuer are the same name (a root).</summary>
    public bool IsSelfSigned { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"'{Subject}' ({Thumbprint}, {KeyAlgorithm} {KeySize}, {SignatureAlgorithm}, not after {NotAfter:u})");

    private static (string Algorithm, int Size) DescribeKey(X509Certificate2 certificate)
    {
        var oid = certificate.PublicKey.Oid.Value;
        try
        {
            switch (oid)
            {
                case RsaOid:
                    using (var rsa = certificate.GetRSAPublicKey())
                    {
                        return ("RSA", rsa?.KeySize ?? 0);
                    }

                case EcOid:
                    using (var ecdsa = certificate.GetECDsaPublicKey())
                    {
                        return ("ECDSA", ecdsa?.KeySize ?? 0);
                    }

                case DsaOid:
                    return ("DSA", 0);
                default:
                    return (certificate.PublicKey.Oid.FriendlyName ?? oid ?? "unknown", 0);
            }
        }
        catch (CryptographicException)
        {
            // An unusual key (say, explicit curve parameters the platform does not support) is described, not fatal.
            return (oid ?? "unknown", 0);
        }
    }
}
