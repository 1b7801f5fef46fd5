using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.TestUtilities;

/// <summary>A root, a client leaf valid now, and its intermediate re-issued (same name and key) so that it expired an hour ago.</summary>
public sealed class ExpiredIntermediateChain : IDisposable
{
    /// <summary>The intermediate's subject.</summary>
    public const string IntermediateSubject = "CN=ClientCertHttp Expired Intermediate";

    private ExpiredIntermediateChain(X509Certificate2 root, X509Certificate2 leaf, X509Certificate2 expiredIntermediate)
    {
        Root = root;
        Leaf = leaf;
        ExpiredIntermediate = expiredIntermediate;
    }

    /// <summary>Gets the root (public part).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Gets the client certificate, with its private key.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>Gets the intermediate as re-issued, expired an hour before the time given (public part).</summary>
    public X509Certificate2 ExpiredIntermediate { get; }

    /// <summary>Creates the chain, with validity periods relative to <paramref name="now"/>.</summary>
    /// <param name="now">The time the leaf is valid at and the intermediate expired an hour before.</param>
    /// <returns>The chain.</returns>
    public static ExpiredIntermediateChain Create(DateTimeOffset now)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=ClientCertHttp Expired Chain Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var rootWithKey = rootRequest.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest(IntermediateSubject, intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var issuingIntermediate = intermediateRequest.Create(rootWithKey, now.AddDays(-10), now.AddDays(10), RandomNumberGenerator.GetBytes(16));
        using var issuingWithKey = issuingIntermediate.CopyWithPrivateKey(intermediateKey);
        var expired = intermediateRequest.Create(rootWithKey, now.AddDays(-10), now.AddHours(-1), RandomNumberGenerator.GetBytes(16));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=leaf-under-expired-intermediate", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issuedLeaf = leafRequest.Create(issuingWithKey, now.AddDays(-5), now.AddDays(5), RandomNumberGenerator.GetBytes(16));
        using var leafWithKey = issuedLeaf.CopyWithPrivateKey(leafKey);

        // Through PKCS#12, so the keys are ones TLS can use.
        var leaf = X509CertificateLoader.LoadPkcs12(leafWithKey.Export(X509ContentType.Pkcs12, "x"), "x");
        return new ExpiredIntermediateChain(X509CertificateLoader.LoadCertificate(rootWithKey.RawData), leaf, expired);
    }

    /// <summary>Writes the leaf (with its key) and the expired intermediate to a PFX.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="password">The PFX password.</param>
    /// <returns><paramref name="path"/>.</returns>
    public string WritePfx(string path, string password)
    {
        File.WriteAllBytes(path, new X509Certificate2Collection { Leaf, ExpiredIntermediate }.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Root.Dispose();
        Leaf.Dispose();
        ExpiredIntermediate.Dispose();
    }
}
