using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Certificates;

internal static class CertificateFormatting
{
    /// <summary>Describes a certificate for messages: subject, thumbprint and validity. Never key material.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"'{certificate.Subject}' (thumbprint {certificate.Thumbprint}, valid {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})");

    public static string Utc(DateTime value) => value.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture);
}
