using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Certificates;
using ClientCertHttp.Internal;

namespace ClientCertHttp.Trust;

/// <summary>
/// Turns <see cref="ServerTrustOptions"/> into the <see cref="X509ChainPolicy"/> that <see cref="System.Net.Security.SslStream"/>
/// uses to validate the server. Host name validation stays with SslStream and is never switched off here.
/// </summary>
internal static class ServerTrustPolicy
{
    private const string RootsKey = "ServerTrust:RootCertificatesPath";

    /// <summary>
    /// Builds the chain policy, or returns <see langword="null"/> to keep the platform's own validation against the
    /// operating system's store. Problems are added to <paramref name="problems"/>.
    /// </summary>
    public static X509ChainPolicy? Create(SettingNames names, ServerTrustOptions options, List<ClientCertificateException> problems)
    {
        if (!Enum.IsDefined(options.Mode))
        {
            problems.Add(new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidServerTrust,
                $"{names.Prefix}: {names["ServerTrust:Mode"]} has the unknown value {(int)options.Mode}; use System or CustomRoots."));
            return null;
        }

        if (options.Mode == ServerTrustMode.System)
        {
            if (!string.IsNullOrWhiteSpace(options.RootCertificatesPath))
            {
                problems.Add(new ClientCertificateException(
                    names.ClientName,
                    ClientCertificateFailureReason.InvalidServerTrust,
                    $"{names.Prefix}: {names[RootsKey]} is set but {names["ServerTrust:Mode"]} is System, so the roots would be ignored. Set the mode to CustomRoots, or remove the path."));
            }

            return null;
        }

        if (string.IsNullOrWhiteSpace(options.RootCertificatesPath))
        {
            problems.Add(new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidServerTrust,
                $"{names.Prefix}: {names["ServerTrust:Mode"]} is CustomRoots but {names[RootsKey]} is not set. Point it at a PEM or DER file with the root certificates the server's chain ends at."));
            return null;
        }

        X509Certificate2Collection roots;
        try
        {
            roots = LoadRoots(names, options.RootCertificatesPath);
        }
        catch (ClientCertificateException ex)
        {
            problems.Add(ex);
            return null;
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,

            // The same revocation default as SslStream's own validation (SslClientAuthenticationOptions.CertificateRevocationCheckMode).
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    private static X509Certificate2Collection LoadRoots(SettingNames names, string path)
    {
        var fullPath = CertificateFile.ResolvePath(path);
        var key = names[RootsKey];
        var bytes = CertificateFile.ReadAllBytes(names, key, fullPath);
        var roots = new X509Certificate2Collection();
        try
        {
            if (bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0)
            {
                roots.ImportFromPem(Encoding.ASCII.GetString(bytes));
            }
            else
            {
                roots.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
        }
        catch (CryptographicException ex)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidServerTrust,
                $"{names.Prefix}: the root certificate file '{fullPath}' ({key}) cannot be read as PEM or DER certificates ({ex.Message}).",
                fullPath);
        }

        if (roots.Count == 0)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidServerTrust,
                $"{names.Prefix}: the root certificate file '{fullPath}' ({key}) contains no '-----BEGIN CERTIFICATE-----' block.",
                fullPath);
        }

        return roots;
    }
}
