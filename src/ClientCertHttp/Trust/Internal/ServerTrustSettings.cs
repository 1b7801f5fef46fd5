using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Trust;

/// <summary>The validated, ready-to-use form of <see cref="ServerTrustOptions"/>, built once per options instance.</summary>
internal sealed class ServerTrustSettings : IDisposable
{
    public required X509ChainPolicy ChainPolicy { get; init; }

    /// <summary>Gets the configured roots (also in the policy's CustomTrustStore or ExtraStore), owned by these settings.</summary>
    public required X509Certificate2Collection CustomRoots { get; init; }

    /// <summary>Gets the configured intermediates (also in the policy's ExtraStore), owned by these settings.</summary>
    public required X509Certificate2Collection Intermediates { get; init; }

    /// <summary>Gets a value indicating whether the chain may end at a custom root while built in System trust mode (SystemAndCustomRoots).</summary>
    public required bool AcceptCustomRootsInSystemMode { get; init; }

    /// <summary>Gets the SHA-256 hashes of the pinned SubjectPublicKeyInfos, or an empty array.</summary>
    public required byte[][] Pins { get; init; }

    public required ServerIdentity[] AllowedIdentities { get; init; }

    public required bool DangerousAcceptAny { get; init; }

    public required bool AllowSha1 { get; init; }

    public required int MinimumRsaKeySize { get; init; }

    public required bool AllowWithoutSubjectAlternativeName { get; init; }

    public required bool AllowCertificateAuthority { get; init; }

    public required bool AllowCertificateSigningKey { get; init; }

    public required bool AllowWithoutExtendedKeyUsage { get; init; }

    public required bool AllowWildcardNameConstraintOverlap { get; init; }

    public required bool ValidatorsReplaceBuiltInVerdict { get; init; }

    public void Dispose()
    {
        foreach (var certificate in CustomRoots.Concat(Intermediates))
        {
            certificate.Dispose();
        }
    }
}
