using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a client certificate from an operating-system certificate store, by thumbprint or (like Kestrel) by a
/// subject substring, and adds the intermediates found in the same location's CA store to the chain.
/// </summary>
internal static class StoreCertificateLoader
{
    // Deeper than any real PKI; bounds the issuer walk through the CA store.
    private const int MaxChainDepth = 8;

    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var options = context.Options;
        var storeName = string.IsNullOrWhiteSpace(options.Store) ? "My" : options.Store.Trim();
        var location = options.Location ?? StoreLocation.CurrentUser;
        var source = $"certificate store {location}\\{storeName}";
        var sourceId = $@"{location}\{storeName}";

        string query;
        Func<X509Certificate2, bool> matches;
        if (!string.IsNullOrWhiteSpace(options.Thumbprint))
        {
            if (!string.IsNullOrWhiteSpace(options.Subject))
            {
                throw new ClientCertificateException(
                    context.ClientName,
                    ClientCertificateFailureReason.InvalidConfiguration,
                    $"{context.Prefix}: both {context.Key("Thumbprint")} and {context.Key("Subject")} are set; a store certificate is found by one of them. Remove the other.",
                    sourceId);
            }

            var wanted = Thumbprints.Normalize(context.Names, context.Key("Thumbprint"), options.Thumbprint);
            query = $"thumbprint {wanted} ({context.Key("Thumbprint")})";
            matches = c => Thumbprints.Matches(c, wanted);
        }
        else if (!string.IsNullOrWhiteSpace(options.Subject))
        {
            var subject = options.Subject.Trim();
            query = $"subject containing '{subject}' ({context.Key("Subject")})";
            matches = c => c.Subject.Contains(subject, StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{context.Prefix}: {context.Key("Store")} is set but neither {context.Key("Thumbprint")} nor {context.Key("Subject")} says which certificate to use. Set one of them.",
                sourceId);
        }

        using var all = ReadStore(context, storeName, location, source, sourceId, required: true);
        var candidates = all.Certificates.Where(matches).ToList();
        var leaf = CertificateCandidates.Choose(context, source, sourceId, query, candidates);

        var owned = new X509Certificate2Collection { leaf };
        all.Keep(leaf);
        using var authorities = ReadStore(context, "CA", location, source, sourceId, required: false);
        var current = leaf;
        for (var depth = 0; depth < MaxChainDepth && !IsSelfIssued(current); depth++)
        {
            var issuer = authorities.Certificates.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) && !owned.Contains(c));
            if (issuer is null)
            {
                break;
            }

            authorities.Keep(issuer);
            owned.Add(issuer);
            current = issuer;
        }

        return LoadedClientCertificate.Create(context, source + (owned.Count > 1 ? $" (+{owned.Count - 1} from {location}\\CA)" : string.Empty), leaf, owned);
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static StoreContents ReadStore(CertificateLoadContext context, string storeName, StoreLocation location, string source, string sourceId, bool required)
    {
        using var store = new X509Store(storeName, location);
        try
        {
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        }
        catch (CryptographicException ex)
        {
            if (!required)
            {
                return new StoreContents([]);
            }

            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.CertificateNotFound,
                $"{context.Prefix}: the {source} ({context.Key("Store")}, {context.Key("Location")}) does not exist or cannot be opened ({ex.Message}). Check the store name (for example 'My') and location ('CurrentUser' or 'LocalMachine'), and that the certificate was imported there.",
                sourceId);
        }

        return new StoreContents([.. store.Certificates]);
    }

    /// <summary>Every certificate read from a store; disposes those the loader did not keep.</summary>
    private sealed class StoreContents(List<X509Certificate2> certificates) : IDisposable
    {
        private readonly HashSet<X509Certificate2> _kept = new(ReferenceEqualityComparer.Instance);

        public IReadOnlyList<X509Certificate2> Certificates => certificates;

        public void Keep(X509Certificate2 certificate) => _kept.Add(certificate);

        public void Dispose()
        {
            foreach (var certificate in certificates)
            {
                if (!_kept.Contains(certificate))
                {
                    certificate.Dispose();
                }
            }
        }
    }
}
