using System.Security.Cryptography;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a Kubernetes Pod Certificates credential bundle (KEP-4317): one PEM file whose first block is the private key
/// and whose other blocks are the certificate chain, the client certificate first. The kubelet writes it into a
/// projected volume with the same <c>..data</c> symbolic-link swap as a secret, so one read of the plain name sees
/// one consistent key and chain. The order is checked before anything is parsed, so a file that is not a bundle is
/// told apart from a bundle whose key belongs to another certificate.
/// </summary>
internal static class CredentialBundleCertificateLoader
{
    private const string CertificateLabel = "CERTIFICATE";

    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var key = context.Key("CredentialBundlePath");
        var path = CertificateFile.ResolvePath(context.Options.CredentialBundlePath!);
        var input = PemCertificateLoader.ReadText(context, key, path);
        PemCertificateLoader.CheckScan(context, input);
        if (DescribeOrderProblem(input.Text) is { } problem)
        {
            throw new ClientCertificateException(context.ClientName, problem.Reason, $"{context.Prefix}: {input.Where} is not a credential bundle: {problem.Message}", path);
        }

        return PemCertificateLoader.Load(context, input, input, chainInput: null, $"Kubernetes Pod Certificates credential bundle '{path}'", firstCertificateIsLeaf: true);
    }

    /// <summary>
    /// Checks the block order a credential bundle has: exactly one private key, first, then one or more certificates
    /// and nothing else. Returns <see langword="null"/> when the order is right.
    /// </summary>
    internal static (ClientCertificateFailureReason Reason, string Message)? DescribeOrderProblem(ReadOnlySpan<char> text)
    {
        const string Expected = "a bundle holds the private key ('-----BEGIN PRIVATE KEY-----') first, then the client certificate and its intermediates ('-----BEGIN CERTIFICATE-----'), as the kubelet writes it for a podCertificate projection's credentialBundlePath";
        var blocks = 0;
        var certificates = 0;
        var keys = 0;
        while (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label];
            blocks++;
            if (label.SequenceEqual(CertificateLabel))
            {
                certificates++;
            }
            else if (label.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
            {
                keys++;
                if (keys > 1)
                {
                    return (ClientCertificateFailureReason.InvalidFormat, $"it holds more than one private key; {Expected}.");
                }

                if (blocks > 1)
                {
                    return (ClientCertificateFailureReason.InvalidFormat, $"its private key comes after {certificates} certificate(s); {Expected}.");
                }
            }
            else
            {
                return (ClientCertificateFailureReason.InvalidFormat, $"PEM block {blocks} is a '{label}'; {Expected}.");
            }

            text = text[fields.Location.End..];
        }

        if (keys == 0)
        {
            return (ClientCertificateFailureReason.NoPrivateKey, $"it holds no private key, so the certificate cannot identify the client; {Expected}.");
        }

        return certificates == 0
            ? (ClientCertificateFailureReason.InvalidFormat, $"it holds a private key but no certificate; {Expected}.")
            : null;
    }
}
