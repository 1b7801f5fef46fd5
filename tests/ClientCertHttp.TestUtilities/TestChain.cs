using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.TestUtilities;

/// <summary>The key of a certificate of a <see cref="TestChain"/>.</summary>
public enum TestChainKey
{
    /// <summary>ECDSA on P-256.</summary>
    EcdsaP256,

    /// <summary>ECDSA on P-192 (secp192r1), about 96 bits of security.</summary>
    EcdsaP192,

    /// <summary>RSA, 1024 bits.</summary>
    Rsa1024,

    /// <summary>RSA, 2048 bits.</summary>
    Rsa2048,

    /// <summary>DSA, 2048 bits (signing with dsa-with-SHA256).</summary>
    Dsa2048,
}

/// <summary>What <see cref="TestChain.Create"/> builds; every default makes a chain the platform and ClientCertHttp accept.</summary>
public sealed class TestChainOptions
{
    /// <summary>Gets or sets the key of the root.</summary>
    public TestChainKey RootKey { get; set; } = TestChainKey.EcdsaP256;

    /// <summary>Gets or sets the key of the intermediate.</summary>
    public TestChainKey IntermediateKey { get; set; } = TestChainKey.EcdsaP256;

    /// <summary>Gets or sets extensions added to the root (for example name constraints).</summary>
    public IList<X509Extension> RootExtensions { get; set; } = [];

    /// <summary>Gets or sets extensions added to the intermediate (for example name constraints).</summary>
    public IList<X509Extension> IntermediateExtensions { get; set; } = [];

    /// <summary>Gets or sets the leaf's subject.</summary>
    public string LeafSubject { get; set; } = "CN=localhost";

    /// <summary>Gets or sets the leaf's DNS subject alternative names.</summary>
    public IList<string> LeafDnsNames { get; set; } = ["localhost"];

    /// <summary>Gets or sets the leaf's IP address subject alternative names.</summary>
    public IList<IPAddress> LeafIpAddresses { get; set; } = [IPAddress.Loopback];

    /// <summary>Gets or sets the leaf's URI subject alternative names.</summary>
    public IList<Uri> LeafUris { get; set; } = [];

    /// <summary>Gets or sets the leaf's extended key usages; <see langword="null"/> leaves the extension out.</summary>
    public IList<string>? LeafExtendedKeyUsages { get; set; } = ["1.3.6.1.5.5.7.3.1"];

    /// <summary>Gets or sets the leaf's key usage.</summary>
    public X509KeyUsageFlags LeafKeyUsage { get; set; } = X509KeyUsageFlags.DigitalSignature;
}

/// <summary>
/// A root → intermediate → server leaf chain minted at run time, with every knob the server-trust strictness tests
/// need: weak or DSA keys on the CAs, name constraints, the leaf's names and usages. The leaf (ECDSA P-256) has its
/// private key, usable by a TLS server; the CAs are public parts only.
/// </summary>
public sealed class TestChain : IDisposable
{
    /// <summary>The serverAuth extended key usage.</summary>
    public const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>anyExtendedKeyUsage.</summary>
    public const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

    private TestChain(X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 leaf)
    {
        Root = root;
        Intermediate = intermediate;
        Leaf = leaf;
    }

    /// <summary>Gets the root (public part).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Gets the intermediate (public part).</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>Gets the server leaf, with its private key.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>Builds a chain.</summary>
    /// <param name="configure">Changes to the defaults.</param>
    /// <returns>The chain; dispose it.</returns>
    public static TestChain Create(Action<TestChainOptions>? configure = null)
    {
        var options = new TestChainOptions();
        configure?.Invoke(options);
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(30);

        using var rootKey = CreateKey(options.RootKey);
        using var intermediateKey = CreateKey(options.IntermediateKey);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var rootRequest = Request("CN=ClientCertHttp Strictness Root", rootKey, certificateAuthority: true, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, options.RootExtensions);
        var rootSubjectKey = (X509SubjectKeyIdentifierExtension)rootRequest.CertificateExtensions.Single(e => e is X509SubjectKeyIdentifierExtension);
        rootRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(rootSubjectKey));
        using var root = rootRequest.Create(rootRequest.SubjectName, Signer(rootKey), notBefore, notAfter, Serial());

        var intermediateRequest = Request("CN=ClientCertHttp Strictness Intermediate", intermediateKey, certificateAuthority: true, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, options.IntermediateExtensions);
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var intermediate = intermediateRequest.Create(root.SubjectName, Signer(rootKey), notBefore, notAfter, Serial());

        var extensions = new List<X509Extension>();
        if (options.LeafExtendedKeyUsages is { } usages)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            extensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        if (options.LeafDnsNames.Count + options.LeafIpAddresses.Count + options.LeafUris.Count > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var dns in options.LeafDnsNames)
            {
                names.AddDnsName(dns);
            }

            foreach (var address in options.LeafIpAddresses)
            {
                names.AddIpAddress(address);
            }

            foreach (var uri in options.LeafUris)
            {
                names.AddUri(uri);
            }

            extensions.Add(names.Build());
        }

        var leafRequest = Request(options.LeafSubject, leafKey, certificateAuthority: false, options.LeafKeyUsage, extensions);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = leafRequest.Create(intermediate.SubjectName, Signer(intermediateKey), notBefore, notAfter, Serial());
        using var withKey = issued.CopyWithPrivateKey(leafKey);

        // Through PKCS#12, so the key is one TLS can use.
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "x"), "x");
        return new TestChain(X509CertificateLoader.LoadCertificate(root.RawData), X509CertificateLoader.LoadCertificate(intermediate.RawData), leaf);
    }

    /// <summary>
    /// Encodes a name constraints extension (2.5.29.30, critical) with DNS subtrees and IP address ranges (each the
    /// address followed by its mask).
    /// </summary>
    /// <param name="permittedDns">Permitted DNS subtrees.</param>
    /// <param name="excludedDns">Excluded DNS subtrees.</param>
    /// <param name="permittedIp">Permitted IP ranges (8 or 32 bytes each).</param>
    /// <param name="excludedIp">Excluded IP ranges (8 or 32 bytes each).</param>
    /// <returns>The extension.</returns>
    public static X509Extension NameConstraints(IEnumerable<string>? permittedDns = null, IEnumerable<string>? excludedDns = null, IEnumerable<byte[]>? permittedIp = null, IEnumerable<byte[]>? excludedIp = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, permittedDns, permittedIp);
            WriteSubtrees(writer, 1, excludedDns, excludedIp);
        }

        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Leaf.Dispose();
        Intermediate.Dispose();
        Root.Dispose();
    }

    private static void WriteSubtrees(AsnWriter writer, int tag, IEnumerable<string>? dns, IEnumerable<byte[]>? ip)
    {
        var dnsNames = dns?.ToList() ?? [];
        var ranges = ip?.ToList() ?? [];
        if (dnsNames.Count + ranges.Count == 0)
        {
            return;
        }

        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, isConstructed: true)))
        {
            foreach (var name in dnsNames)
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }

            foreach (var range in ranges)
            {
                using (writer.PushSequence())
                {
                    writer.WriteOctetString(range, new Asn1Tag(TagClass.ContextSpecific, 7));
                }
            }
        }
    }

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key, bool certificateAuthority, X509KeyUsageFlags keyUsage, IEnumerable<X509Extension> extra)
    {
        var publicKey = key switch
        {
            ECDsa ecdsa => new PublicKey(ecdsa),
            RSA rsa => new PublicKey(rsa),
            DSA dsa => new PublicKey(dsa),
            _ => throw new NotSupportedException(key.GetType().Name),
        };
        var request = new CertificateRequest(new X500DistinguishedName(subject), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        if (keyUsage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        }

        foreach (var extension in extra)
        {
            request.CertificateExtensions.Add(extension);
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, critical: false));
        return request;
    }

    private static AsymmetricAlgorithm CreateKey(TestChainKey key) => key switch
    {
        TestChainKey.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestChainKey.EcdsaP192 => ECDsa.Create(ECCurve.CreateFromValue("1.2.840.10045.3.1.1")),
        TestChainKey.Rsa1024 => RSA.Create(1024),
        TestChainKey.Rsa2048 => RSA.Create(2048),
        TestChainKey.Dsa2048 => DSA.Create(2048),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, null),
    };

    private static X509SignatureGenerator Signer(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ecdsa => X509SignatureGenerator.CreateForECDsa(ecdsa),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        DSA dsa => new DsaSignatureGenerator(dsa),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    private static byte[] Serial() => RandomNumberGenerator.GetBytes(16);

    /// <summary>dsa-with-SHA256 (RFC 5758), which <see cref="X509SignatureGenerator"/> does not offer.</summary>
    private sealed class DsaSignatureGenerator(DSA key) : X509SignatureGenerator
    {
        private const string DsaWithSha256Oid = "2.16.840.1.101.3.4.3.2";

        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(DsaWithSha256Oid);
            }

            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        protected override PublicKey BuildPublicKey() => new(key);
    }
}
