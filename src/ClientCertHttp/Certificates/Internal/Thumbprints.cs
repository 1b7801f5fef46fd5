using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.DependencyInjection;

namespace ClientCertHttp.Certificates;

internal static class Thumbprints
{
    /// <summary>
    /// Normalizes a configured thumbprint (spaces, colons and an invisible left-to-right mark copied from the Windows
    /// certificate dialog are removed; upper case) and checks it is a SHA-1 (40) or SHA-256 (64) hexadecimal value.
    /// </summary>
    public static string Normalize(SettingNames names, string settingKey, string value)
    {
        var cleaned = new string(value.Where(c => !char.IsWhiteSpace(c) && c is not ':' and not '\u200E').ToArray()).ToUpperInvariant();
        if ((cleaned.Length is 40 or 64) && cleaned.All(char.IsAsciiHexDigit))
        {
            return cleaned;
        }

        throw new ClientCertificateException(
            names.ClientName,
            ClientCertificateFailureReason.InvalidConfiguration,
            $"{names.Prefix}: {settingKey} must be a SHA-1 (40 hexadecimal digits) or SHA-256 (64 hexadecimal digits) thumbprint; the configured value has {cleaned.Length} characters{(cleaned.All(char.IsAsciiHexDigit) ? string.Empty : " and characters that are not hexadecimal")}.");
    }

    public static bool Matches(X509Certificate2 certificate, string normalized) =>
        normalized.Length == 40
            ? string.Equals(certificate.Thumbprint, normalized, StringComparison.OrdinalIgnoreCase)
            : string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), normalized, StringComparison.OrdinalIgnoreCase);
}
