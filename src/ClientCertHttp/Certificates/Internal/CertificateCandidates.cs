using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Chooses the client certificate when a source yields several (a store searched by subject, a provider returning a
/// list): valid now, with a private key, allowing client authentication (or not restricting its use), then the one
/// that expires last. An expired certificate is never chosen over a valid one. The choice and the reasons are logged.
/// </summary>
internal static class CertificateCandidates
{
    public static X509Certificate2 Choose(CertificateLoadContext context, string source, string sourceId, string query, IReadOnlyList<X509Certificate2> candidates)
    {
        var accepted = new List<X509Certificate2>();
        var rejected = new List<(X509Certificate2 Certificate, string Why, ClientCertificateFailureReason Reason)>();
        foreach (var candidate in candidates)
        {
            var (why, reason) = Reject(candidate, context.Now.UtcDateTime);
            if (why is null)
            {
                accepted.Add(candidate);
            }
            else
            {
                rejected.Add((candidate, why, reason));
            }
        }

        var rejectedText = string.Join("; ", rejected.Select(r => $"{CertificateFormatting.Describe(r.Certificate)}: {r.Why}"));
        if (accepted.Count == 0)
        {
            var reason = candidates.Count == 0 ? ClientCertificateFailureReason.CertificateNotFound
                : rejected.Count == 1 ? rejected[0].Reason
                : ClientCertificateFailureReason.CertificateNotFound;
            var found = candidates.Count == 0
                ? "nothing matched"
                : $"{candidates.Count} certificate(s) matched and none can be used: {rejectedText}";
            throw new ClientCertificateException(
                context.ClientName,
                reason,
                $"{context.Prefix}: no usable client certificate in {source} for {query}; {found}. A client certificate must be valid now, have its private key, and allow client authentication. Fix the selector, or install a valid certificate with its key.",
                sourceId);
        }

        var chosen = accepted.OrderByDescending(c => c.NotAfter).First();
        if (candidates.Count > 1)
        {
            var why = accepted.Count == 1
                ? "the only usable candidate"
                : $"the latest expiry among {accepted.Count} usable candidates";
            Log.ClientCertificateCandidateChosen(
                context.Logger,
                context.ClientName,
                chosen.Subject,
                chosen.Thumbprint,
                new DateTimeOffset(chosen.NotAfter.ToUniversalTime()),
                candidates.Count,
                source,
                rejected.Count == 0 ? why : $"{why}; rejected: {rejectedText}");
        }

        return chosen;
    }

    private static (string? Why, ClientCertificateFailureReason Reason) Reject(X509Certificate2 certificate, DateTime utcNow)
    {
        if (!certificate.HasPrivateKey)
        {
            return ("no private key", ClientCertificateFailureReason.NoPrivateKey);
        }

        if (certificate.NotAfter.ToUniversalTime() < utcNow)
        {
            return ($"expired on {CertificateFormatting.Utc(certificate.NotAfter)}", ClientCertificateFailureReason.Expired);
        }

        if (certificate.NotBefore.ToUniversalTime() > utcNow)
        {
            return ($"not valid before {CertificateFormatting.Utc(certificate.NotBefore)}", ClientCertificateFailureReason.NotYetValid);
        }

        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku
                && !eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value is ClientCertificateInspector.ClientAuthenticationOid or "2.5.29.37.0"))
            {
                return ("its extended key usage does not allow client authentication", ClientCertificateFailureReason.MissingClientAuthenticationUsage);
            }
        }

        return (null, default);
    }
}
