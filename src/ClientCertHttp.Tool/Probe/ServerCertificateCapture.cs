using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Tool.Probe;

/// <summary>
/// Wraps the library's own server certificate verifier: records what the server sent and how our trust built its
/// chain, then lets the library decide. The verdict is exactly the one an application with the same ServerTrust
/// options would reach.
/// </summary>
internal sealed class ServerCertificateCapture(ServerCertificateVerifier verifier)
{
    public IReadOnlyList<ProbeCertificate> Sent { get; private set; } = [];

    public IReadOnlyList<ProbeCertificate> Built { get; private set; } = [];

    public bool Called { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        Called = true;
        if (certificate is X509Certificate2 leaf)
        {
            // SslStream puts the certificates the server sent into the chain's ExtraStore (observed on Linux: the leaf
            // first, then the intermediates); the leaf is added when a platform leaves it out.
            var sent = chain?.ChainPolicy.ExtraStore.ToList() ?? [];
            if (!sent.Exists(c => c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)))
            {
                sent.Insert(0, leaf);
            }

            Sent = [.. sent.Select(Describe)];
        }

        if (chain is not null)
        {
            Built = [.. chain.ChainElements.Select(element => Describe(element.Certificate))];
        }

        return verifier.Validate(sender, certificate, chain, sslPolicyErrors);
    }

    public static ProbeCertificate Describe(X509Certificate2 certificate) =>
        new(certificate.Subject, certificate.Issuer, certificate.Thumbprint, new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
}
