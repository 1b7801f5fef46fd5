using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.DependencyInjection;

namespace ClientCertHttp.Certificates;

/// <summary>Checks that a certificate can authenticate a TLS client now: validity period and key usages.</summary>
internal static class ClientCertificateInspector
{
    internal const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

    /// <summary>Checks the validity period of every intermediate the TLS context sends with the certificate.</summary>
    public static void InspectSentIntermediates(
        SettingNames names,
        string source,
        IReadOnlyList<X509Certificate2> intermediates,
        DateTimeOffset now,
        List<ClientCertificateException> problems)
    {
        var utcNow = now.UtcDateTime;
        foreach (var intermediate in intermediates)
        {
            var description = CertificateFormatting.Describe(intermediate);
            if (intermediate.NotAfter.ToUniversalTime() < utcNow)
            {
                problems.Add(new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.Expired,
                    $"{names.Prefix}: the intermediate certificate {description}, sent with the client certificate from {source}, expired on {CertificateFormatting.Utc(intermediate.NotAfter)}; servers reject the whole chain. Replace it in the certificate source with the CA's current intermediate.",
                    source));
            }
            else if (intermediate.NotBefore.ToUniversalTime() > utcNow)
            {
                problems.Add(new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.NotYetValid,
                    $"{names.Prefix}: the intermediate certificate {description}, sent with the client certificate from {source}, is not valid before {CertificateFormatting.Utc(intermediate.NotBefore)}; servers reject the whole chain until then. Check the machine's clock, or the intermediate in the certificate source.",
                    source));
            }
        }
    }

    public static void Inspect(
        SettingNames names,
        string source,
        X509Certificate2 certificate,
        DateTimeOffset now,
        List<ClientCertificateException> problems)
    {
        var description = CertificateFormatting.Describe(certificate);
        var utcNow = now.UtcDateTime;

        if (certificate.NotAfter.ToUniversalTime() < utcNow)
        {
            problems.Add(new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.Expired,
                $"{names.Prefix}: the client certificate {description} from {source} expired on {CertificateFormatting.Utc(certificate.NotAfter)}. Renew it and replace the file.",
                source));
        }
        else if (certificate.NotBefore.ToUniversalTime() > utcNow)
        {
            problems.Add(new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.NotYetValid,
                $"{names.Prefix}: the client certificate {description} from {source} is not valid before {CertificateFormatting.Utc(certificate.NotBefore)}. Check the machine's clock, or use a certificate that is valid now.",
                source));
        }

        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku && !AllowsClientAuthentication(eku))
            {
                var uses = string.Join(", ", eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.FriendlyName ?? o.Value));
                problems.Add(new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.MissingClientAuthenticationUsage,
                    $"{names.Prefix}: the certificate {description} from {source} is restricted to [{uses}] and does not allow TLS client authentication ({ClientAuthenticationOid}); servers will reject it. Ask the issuing CA for a client certificate (extended key usage clientAuth).",
                    source));
            }
            else if (extension is X509KeyUsageExtension keyUsage
                && (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            {
                problems.Add(new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.MissingDigitalSignatureUsage,
                    $"{names.Prefix}: the certificate {description} from {source} has key usage [{keyUsage.KeyUsages}] without digitalSignature, which TLS client authentication needs to sign the handshake. Ask the issuing CA for a certificate with the digitalSignature key usage.",
                    source));
            }
        }
    }

    private static bool AllowsClientAuthentication(X509EnhancedKeyUsageExtension eku)
    {
        foreach (var oid in eku.EnhancedKeyUsages)
        {
            if (oid.Value is ClientAuthenticationOid or AnyExtendedKeyUsageOid)
            {
                return true;
            }
        }

        return false;
    }
}
