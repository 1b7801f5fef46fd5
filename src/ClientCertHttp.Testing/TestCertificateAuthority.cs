using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ClientCertHttp.Testing;

/// <summary>
/// An in-memory two-level PKI for tests: a self-signed root, an intermediate signed by it, and helpers that
/// issue leaf certificates signed by the intermediate and export them as PFX or PEM.
/// Nothing is ever written to a certificate store.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    /// <summary>The clientAuth enhanced key usage OID (1.3.6.1.5.5.7.3.2).</summary>
    public const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>The serverAuth enhanced key usage OID (1.3.6.1.5.5.7.3.1).</summary>
    public const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    private bool _disposed;

    private TestCertificateAuthority(string name, TestKeyAlgorithm keyAlgorithm, X509Certificate2 root, X509Certificate2 intermediate)
    {
        Name = name;
        KeyAlgorithm = keyAlgorithm;
        Root = root;
        Intermediate = intermediate;
    }

    private enum CertificateKind
    {
        Client,
        Server,
        SelfSigned,
    }

    /// <summary>The name the CA was created with (used in the root and intermediate common names).</summary>
    public string Name { get; }

    /// <summary>The key algorithm of the root and the intermediate.</summary>
    public TestKeyAlgorithm KeyAlgorithm { get; }

    /// <summary>The self-signed root certificate "CN={name} Root CA", with its private key.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The intermediate certificate "CN={name} Intermediate CA", signed by <see cref="Root"/>, with its private key.</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>
    /// Creates a root and an intermediate CA, valid from one day ago for ten years.
    /// </summary>
    /// <param name="name">Prefix of the CA common names ("{name} Root CA", "{name} Intermediate CA").</param>
    /// <param name="keyAlgorithm">Key algorithm of both CA certificates (ECDSA P-256 or RSA 2048).</param>
    /// <param name="intermediateCrlUrl">
    /// The CRL distribution point of the intermediate, or <see langword="null"/> for none. Serve
    /// <see cref="BuildRootCrl"/> there (for example with <see cref="CrlTestServer"/>) so that revocation checking of
    /// the whole chain can succeed.
    /// </param>
    /// <returns>The new authority; dispose it to release the CA certificates.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keyAlgorithm"/> is not a defined value.</exception>
    public static TestCertificateAuthority Create(string name = "ClientCertHttp Test", TestKeyAlgorithm keyAlgorithm = TestKeyAlgorithm.Ecdsa, Uri? intermediateCrlUrl = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset notBefore = now.AddDays(-1);
        DateTimeOffset notAfter = now.AddYears(10);

        X509Certificate2 root = CreateRoot(name, keyAlgorithm, notBefore, notAfter);
        try
        {
            X509Certificate2 intermediate = CreateIntermediate(name, keyAlgorithm, root, notBefore, notAfter, intermediateCrlUrl);
            return new TestCertificateAuthority(name, keyAlgorithm, root, intermediate);
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Issues a client (clientAuth) certificate signed by <see cref="Intermediate"/>.
    /// </summary>
    /// <param name="subject">The subject distinguished name.</param>
    /// <param name="configure">Optional changes to the defaults.</param>
    /// <returns>The certificate with its (ephemeral) private key.</returns>
    public X509Certificate2 IssueClientCertificate(string subject = "CN=ClientCertHttp Test Client", Action<TestCertificateOptions>? configure = null)
        => Issue(subject, CertificateKind.Client, configure);

    /// <summary>
    /// Issues a server (serverAuth) certificate signed by <see cref="Intermediate"/>. Its subject alternative
    /// names default to DNS <c>localhost</c> and IP 127.0.0.1 and ::1; a configure callback can change the lists.
    /// </summary>
    /// <param name="subject">The subject distinguished name.</param>
    /// <param name="configure">Optional changes to the defaults.</param>
    /// <returns>The certificate with its (ephemeral) private key.</returns>
    public X509Certificate2 IssueServerCertificate(string subject = "CN=localhost", Action<TestCertificateOptions>? configure = null)
        => Issue(subject, CertificateKind.Server, configure);

    /// <summary>
    /// Creates a self-signed certificate unrelated to this CA (clientAuth by default), for negative tests.
    /// </summary>
    /// <param name="subject">The subject (and issuer) distinguished name.</param>
    /// <param name="configure">Optional changes to the defaults.</param>
    /// <returns>The certificate with its (ephemeral) private key.</returns>
    public X509Certificate2 CreateSelfSigned(string subject, Action<TestCertificateOptions>? configure = null)
        => Issue(subject, CertificateKind.SelfSigned, configure);

    /// <summary>
    /// Exports a PKCS#12 (PFX) holding <paramref name="leaf"/> with its private key plus the chosen CA certificates
    /// (public parts only). The CA certificates come FIRST and the leaf LAST (intermediate, root, leaf), as in many
    /// real-world files, so code that simply takes the first certificate is caught out.
    /// </summary>
    /// <param name="leaf">A certificate with a private key.</param>
    /// <param name="password">The PFX password, or <see langword="null"/>.</param>
    /// <param name="includeIntermediate">Include <see cref="Intermediate"/>.</param>
    /// <param name="includeRoot">Include <see cref="Root"/>.</param>
    /// <param name="pbeParameters">
    /// Encryption parameters; <see langword="null"/> means <see cref="Pkcs12ExportPbeParameters.Pbes2Aes256Sha256"/>.
    /// Pass for example 700,000 iterations to produce a file that exceeds the default loader limits.
    /// </param>
    /// <returns>The PFX bytes.</returns>
    public byte[] ExportPfx(X509Certificate2 leaf, string? password, bool includeIntermediate = true, bool includeRoot = false, PbeParameters? pbeParameters = null)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!leaf.HasPrivateKey)
        {
            throw new ArgumentException("The certificate must have a private key.", nameof(leaf));
        }

        // Public-only copies: the CA private keys must never end up in a client's PFX.
        using X509Certificate2? intermediate = includeIntermediate ? X509CertificateLoader.LoadCertificate(Intermediate.RawData) : null;
        using X509Certificate2? root = includeRoot ? X509CertificateLoader.LoadCertificate(Root.RawData) : null;

        var collection = new X509Certificate2Collection();
        if (intermediate is not null)
        {
            collection.Add(intermediate);
        }

        if (root is not null)
        {
            collection.Add(root);
        }

        collection.Add(leaf);

        return pbeParameters is null
            ? collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password)
            : collection.ExportPkcs12(pbeParameters, password);
    }

    /// <summary>
    /// Writes <see cref="ExportPfx"/> output to <paramref name="path"/> (creating the folder if needed).
    /// </summary>
    /// <param name="path">The target file.</param>
    /// <param name="leaf">A certificate with a private key.</param>
    /// <param name="password">The PFX password, or <see langword="null"/>.</param>
    /// <param name="includeIntermediate">Include <see cref="Intermediate"/>.</param>
    /// <param name="includeRoot">Include <see cref="Root"/>.</param>
    /// <param name="pbeParameters">Encryption parameters, see <see cref="ExportPfx"/>.</param>
    /// <returns><paramref name="path"/>.</returns>
    public string WritePfx(string path, X509Certificate2 leaf, string? password, bool includeIntermediate = true, bool includeRoot = false, PbeParameters? pbeParameters = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] pfx = ExportPfx(leaf, password, includeIntermediate, includeRoot, pbeParameters);
        EnsureParentDirectory(path);
        File.WriteAllBytes(path, pfx);
        return path;
    }

    /// <summary>
    /// Exports certificates as concatenated PEM "CERTIFICATE" blocks, in the given order.
    /// </summary>
    /// <param name="certificates">The certificates to export.</param>
    /// <returns>The PEM text.</returns>
    public static string ExportCertificatePem(params X509Certificate2[] certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var pem = new StringBuilder();
        foreach (X509Certificate2 certificate in certificates)
        {
            ArgumentNullException.ThrowIfNull(certificate, nameof(certificates));
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        return pem.ToString();
    }

    /// <summary>
    /// Writes <see cref="ExportCertificatePem"/> output to <paramref name="path"/> (creating the folder if needed).
    /// </summary>
    /// <param name="path">The target file.</param>
    /// <param name="certificates">The certificates to write.</param>
    /// <returns><paramref name="path"/>.</returns>
    public static string WriteCertificatePem(string path, params X509Certificate2[] certificates)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string pem = ExportCertificatePem(certificates);
        EnsureParentDirectory(path);
        File.WriteAllText(path, pem);
        return path;
    }

    /// <summary>Writes the PEM of <see cref="Root"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <returns><paramref name="path"/>.</returns>
    public string WriteRootPem(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return WriteCertificatePem(path, Root);
    }

    /// <summary>Exports the private key of <paramref name="certWithKey"/> as unencrypted PKCS#8 PEM ("PRIVATE KEY").</summary>
    /// <param name="certWithKey">A certificate with an ECDSA or RSA private key.</param>
    /// <returns>The PEM text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certWithKey"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="certWithKey"/> has no ECDSA or RSA private key.</exception>
    public static string ExportPrivateKeyPem(X509Certificate2 certWithKey) => ExportPrivateKeyPem(certWithKey, password: null);

    /// <summary>
    /// Exports the private key of <paramref name="certWithKey"/> as PKCS#8 PEM: "ENCRYPTED PRIVATE KEY"
    /// (PBES2, AES-256-CBC, SHA-256, 100,000 iterations) when <paramref name="password"/> is given, else "PRIVATE KEY".
    /// </summary>
    /// <param name="certWithKey">A certificate with an ECDSA or RSA private key.</param>
    /// <param name="password">The encryption password, or <see langword="null"/> for an unencrypted key.</param>
    /// <returns>The PEM text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certWithKey"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="certWithKey"/> has no ECDSA or RSA private key.</exception>
    public static string ExportPrivateKeyPem(X509Certificate2 certWithKey, string? password)
    {
        ArgumentNullException.ThrowIfNull(certWithKey);
        using AsymmetricAlgorithm key = GetPrivateKey(certWithKey);
        return password is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(
                password.AsSpan(),
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
    }

    /// <summary>
    /// Exports the private key of <paramref name="certWithKey"/> as PEM in the given encoding.
    /// </summary>
    /// <param name="certWithKey">A certificate with an ECDSA or RSA private key.</param>
    /// <param name="format">The encoding; <see cref="TestPrivateKeyFormat.Pkcs1"/> needs RSA, <see cref="TestPrivateKeyFormat.Sec1"/> ECDSA.</param>
    /// <param name="password">The password for <see cref="TestPrivateKeyFormat.EncryptedPkcs8"/>.</param>
    /// <param name="iterations">The PBKDF2 iteration count for <see cref="TestPrivateKeyFormat.EncryptedPkcs8"/>.</param>
    /// <returns>The PEM text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certWithKey"/> is <see langword="null"/>, or <paramref name="password"/> is <see langword="null"/> for <see cref="TestPrivateKeyFormat.EncryptedPkcs8"/>.</exception>
    /// <exception cref="ArgumentException">The key type does not fit <paramref name="format"/>, or the certificate has no private key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined value, or <paramref name="iterations"/> is not positive.</exception>
    public static string ExportPrivateKeyPem(X509Certificate2 certWithKey, TestPrivateKeyFormat format, string? password = null, int iterations = 100_000)
    {
        ArgumentNullException.ThrowIfNull(certWithKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        using AsymmetricAlgorithm key = GetPrivateKey(certWithKey);
        return format switch
        {
            TestPrivateKeyFormat.Pkcs8 => key.ExportPkcs8PrivateKeyPem(),
            TestPrivateKeyFormat.EncryptedPkcs8 => key.ExportEncryptedPkcs8PrivateKeyPem(
                (password ?? throw new ArgumentNullException(nameof(password))).AsSpan(),
                new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations)),
            TestPrivateKeyFormat.Pkcs1 => key is RSA rsa ? rsa.ExportRSAPrivateKeyPem() : throw new ArgumentException("PKCS#1 needs an RSA key.", nameof(format)),
            TestPrivateKeyFormat.Sec1 => key is ECDsa ecdsa ? ecdsa.ExportECPrivateKeyPem() : throw new ArgumentException("SEC1 needs an ECDSA key.", nameof(format)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown key format."),
        };
    }

    /// <summary>
    /// Writes <see cref="ExportPrivateKeyPem(X509Certificate2, string?)"/> output to <paramref name="path"/> (creating the folder if needed).
    /// </summary>
    /// <param name="path">The target file.</param>
    /// <param name="certWithKey">A certificate with an ECDSA or RSA private key.</param>
    /// <param name="password">The encryption password, or <see langword="null"/>.</param>
    /// <returns><paramref name="path"/>.</returns>
    public static string WritePrivateKeyPem(string path, X509Certificate2 certWithKey, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string pem = ExportPrivateKeyPem(certWithKey, password);
        EnsureParentDirectory(path);
        File.WriteAllText(path, pem);
        return path;
    }

    /// <summary>
    /// Writes <paramref name="leaf"/> as a mounted Kubernetes <c>kubernetes.io/tls</c> secret: <c>tls.crt</c> (the leaf
    /// followed by <see cref="Intermediate"/>), <c>tls.key</c> (unencrypted PKCS#8, as cert-manager writes it) and,
    /// unless <paramref name="includeCaCrt"/> is <see langword="false"/>, <c>ca.crt</c> (<see cref="Root"/>), with the
    /// kubelet's <c>..data</c> symbolic-link layout (see <see cref="KubernetesTlsSecret"/>). When
    /// <paramref name="folder"/> already holds a secret, the content is swapped atomically, the way the kubelet
    /// publishes a renewed secret.
    /// </summary>
    /// <param name="folder">The mount folder (created if needed).</param>
    /// <param name="leaf">A certificate with a private key.</param>
    /// <param name="includeCaCrt">Whether to write <c>ca.crt</c>.</param>
    /// <returns><paramref name="folder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="leaf"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty, or <paramref name="leaf"/> has no private key.</exception>
    /// <exception cref="PlatformNotSupportedException">The atomic update needs <c>rename(2)</c>, which Windows lacks.</exception>
    public string WriteKubernetesTlsSecret(string folder, X509Certificate2 leaf, bool includeCaCrt = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(leaf);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string tlsCrt = ExportCertificatePem(leaf, Intermediate);
        string tlsKey = ExportPrivateKeyPem(leaf);
        string? caCrt = includeCaCrt ? ExportCertificatePem(Root) : null;
        if (KubernetesTlsSecret.Exists(folder))
        {
            KubernetesTlsSecret.Update(folder, tlsCrt, tlsKey, caCrt);
        }
        else
        {
            KubernetesTlsSecret.Write(folder, tlsCrt, tlsKey, caCrt);
        }

        return folder;
    }

    /// <summary>
    /// Writes <paramref name="leaf"/> as a Kubernetes Pod Certificates credential bundle (KEP-4317) in a projected
    /// volume: one file <paramref name="fileName"/> holding the unencrypted PKCS#8 key first, then the leaf and
    /// <see cref="Intermediate"/>, with the kubelet's <c>..data</c> symbolic-link layout (see
    /// <see cref="KubernetesProjectedVolume"/>). When <paramref name="folder"/> already holds a volume, the content is
    /// swapped atomically, the way the kubelet publishes a renewed certificate.
    /// </summary>
    /// <param name="folder">The mount folder (created if needed).</param>
    /// <param name="leaf">A certificate with a private key.</param>
    /// <param name="fileName">The projection's <c>credentialBundlePath</c>.</param>
    /// <returns>The full path of the bundle: <paramref name="folder"/>/<paramref name="fileName"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="leaf"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="folder"/> or <paramref name="fileName"/> is empty or not a plain file name, or <paramref name="leaf"/> has no private key.</exception>
    /// <exception cref="PlatformNotSupportedException">The atomic update needs <c>rename(2)</c>, which Windows lacks.</exception>
    public string WriteKubernetesCredentialBundle(string folder, X509Certificate2 leaf, string fileName = "credentialbundle.pem")
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string bundle = ExportPrivateKeyPem(leaf) + "\n" + ExportCertificatePem(leaf, Intermediate);
        KubernetesProjectedVolume.Write(folder, new Dictionary<string, string>(StringComparer.Ordinal) { [fileName] = bundle });
        return Path.GetFullPath(Path.Combine(folder, fileName));
    }

    /// <summary>
    /// Builds a DER CRL signed by <see cref="Intermediate"/> that revokes <paramref name="revoked"/> (none: an empty,
    /// valid CRL). Serve it at the URL given in <see cref="TestCertificateOptions.CrlDistributionPoints"/>.
    /// </summary>
    /// <param name="revoked">The certificates to list as revoked.</param>
    /// <returns>The DER-encoded CRL, valid from one hour ago for seven days.</returns>
    public byte[] BuildIntermediateCrl(params X509Certificate2[] revoked)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return BuildCrl(Intermediate, revoked);
    }

    /// <summary>Builds an empty DER CRL signed by <see cref="Root"/>, for the intermediate's distribution point.</summary>
    /// <returns>The DER-encoded CRL, valid from one hour ago for seven days.</returns>
    public byte[] BuildRootCrl()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return BuildCrl(Root, []);
    }

    private static byte[] BuildCrl(X509Certificate2 issuer, X509Certificate2[] revoked)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        var builder = new CertificateRevocationListBuilder();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (X509Certificate2 certificate in revoked)
        {
            builder.AddEntry(certificate, now.AddMinutes(-10), X509RevocationReason.KeyCompromise);
        }

        RSASignaturePadding? padding = issuer.GetRSAPublicKey() is { } rsa ? RSASignaturePadding.Pkcs1 : null;
        return builder.Build(issuer, crlNumber: 1, nextUpdate: now.AddDays(7), HashAlgorithmName.SHA256, padding, thisUpdate: now.AddHours(-1));
    }

    /// <summary>Disposes <see cref="Root"/> and <see cref="Intermediate"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Intermediate.Dispose();
        Root.Dispose();
    }

    private X509Certificate2 Issue(string subject, CertificateKind kind, Action<TestCertificateOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var options = new TestCertificateOptions();
        if (kind == CertificateKind.Server)
        {
            options.DnsNames.Add("localhost");
            options.IpAddresses.Add(IPAddress.Loopback);
            options.IpAddresses.Add(IPAddress.IPv6Loopback);
        }

        configure?.Invoke(options);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset notBefore = options.NotBefore ?? now.AddHours(-1);
        DateTimeOffset notAfter = options.NotAfter ?? now.AddDays(30);
        if (notAfter <= notBefore)
        {
            throw new ArgumentException("NotAfter must be later than NotBefore.", nameof(configure));
        }

        using AsymmetricAlgorithm key = CreateKey(options.KeyAlgorithm, options.RsaKeySize);
        CertificateRequest request = CreateRequest(new X500DistinguishedName(subject), key, options.HashAlgorithm);
        AddLeafExtensions(request, options, kind, key is RSA);

        if (kind == CertificateKind.SelfSigned)
        {
            var subjectKeyId = (X509SubjectKeyIdentifierExtension)request.CertificateExtensions[^1];
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyId));
            return Sign(request, request.SubjectName, key, key, notBefore, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using AsymmetricAlgorithm issuerKey = GetPrivateKey(Intermediate);
        return Sign(request, Intermediate.SubjectName, issuerKey, key, notBefore, notAfter);
    }

    private static void AddLeafExtensions(CertificateRequest request, TestCertificateOptions options, CertificateKind kind, bool isRsa)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: options.IsCertificateAuthority, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));

        X509KeyUsageFlags keyUsage = options.KeyUsage ?? DefaultKeyUsage(options.IsCertificateAuthority, isRsa);
        if (keyUsage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        }

        IList<string> ekus = options.EnhancedKeyUsages
            ?? [kind == CertificateKind.Server ? ServerAuthenticationOid : ClientAuthenticationOid];
        if (ekus.Count > 0)
        {
            var oids = new OidCollection();
            foreach (string eku in ekus)
            {
                oids.Add(new Oid(eku));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        if (options.CrlDistributionPoints.Count > 0)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(options.CrlDistributionPoints.Select(u => u.AbsoluteUri)));
        }

        if (options.DnsNames.Count > 0 || options.IpAddresses.Count > 0 || options.UriNames.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (string dnsName in options.DnsNames)
            {
                san.AddDnsName(dnsName);
            }

            foreach (IPAddress address in options.IpAddresses)
            {
                san.AddIpAddress(address);
            }

            foreach (Uri uri in options.UriNames)
            {
                san.AddUri(uri);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        // Must stay the last extension added here: Issue() reads it back for self-signed certificates.
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }

    private static X509KeyUsageFlags DefaultKeyUsage(bool isCertificateAuthority, bool isRsa)
    {
        X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature;
        if (isRsa)
        {
            usage |= X509KeyUsageFlags.KeyEncipherment;
        }

        if (isCertificateAuthority)
        {
            usage |= X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;
        }

        return usage;
    }

    private static X509Certificate2 CreateRoot(string name, TestKeyAlgorithm keyAlgorithm, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using AsymmetricAlgorithm key = CreateKey(keyAlgorithm, 2048);
        CertificateRequest request = CreateRequest(CommonName($"{name} Root CA"), key, HashAlgorithmName.SHA256);
        var subjectKeyId = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(subjectKeyId);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyId));
        return Sign(request, request.SubjectName, key, key, notBefore, notAfter);
    }

    private static X509Certificate2 CreateIntermediate(string name, TestKeyAlgorithm keyAlgorithm, X509Certificate2 root, DateTimeOffset notBefore, DateTimeOffset notAfter, Uri? crlUrl)
    {
        using AsymmetricAlgorithm key = CreateKey(keyAlgorithm, 2048);
        CertificateRequest request = CreateRequest(CommonName($"{name} Intermediate CA"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (crlUrl is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl.AbsoluteUri]));
        }

        using AsymmetricAlgorithm rootKey = GetPrivateKey(root);
        return Sign(request, root.SubjectName, rootKey, key, notBefore, notAfter);
    }

    /// <summary>
    /// Signs <paramref name="request"/> with <paramref name="issuerKey"/> and attaches <paramref name="subjectKey"/>.
    /// The generator overload is used (rather than Create(issuerCertificate, ...)) so that a leaf may have a validity
    /// period outside the issuer's, which expiry tests need.
    /// </summary>
    private static X509Certificate2 Sign(CertificateRequest request, X500DistinguishedName issuerName, AsymmetricAlgorithm issuerKey, AsymmetricAlgorithm subjectKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        X509SignatureGenerator generator = request.HashAlgorithm == HashAlgorithmName.SHA1 ? new Sha1SignatureGenerator(issuerKey) : issuerKey switch
        {
            ECDsa ecdsa => X509SignatureGenerator.CreateForECDsa(ecdsa),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException($"Unsupported issuer key type {issuerKey.GetType()}."),
        };

        using X509Certificate2 publicOnly = request.Create(issuerName, generator, notBefore, notAfter, NewSerialNumber());

        // CopyWithPrivateKey keeps its own handle to the key, so the caller may dispose subjectKey afterwards.
        // The key is ephemeral (never persisted). That is all SslStream needs on Linux (verified); SChannel on
        // Windows is known to want persisted keys (not verified here), for which loading an exported PFX is the route.
        return subjectKey switch
        {
            ECDsa ecdsa => publicOnly.CopyWithPrivateKey(ecdsa),
            RSA rsa => publicOnly.CopyWithPrivateKey(rsa),
            _ => throw new NotSupportedException($"Unsupported key type {subjectKey.GetType()}."),
        };
    }

    private static AsymmetricAlgorithm CreateKey(TestKeyAlgorithm keyAlgorithm, int rsaKeySize) => keyAlgorithm switch
    {
        TestKeyAlgorithm.Ecdsa => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyAlgorithm.Rsa => RSA.Create(rsaKeySize),
        _ => throw new ArgumentOutOfRangeException(nameof(keyAlgorithm), keyAlgorithm, "Unknown key algorithm."),
    };

    private static CertificateRequest CreateRequest(X500DistinguishedName subject, AsymmetricAlgorithm key, HashAlgorithmName hashAlgorithm) => key switch
    {
        ECDsa ecdsa => new CertificateRequest(subject, ecdsa, hashAlgorithm),
        RSA rsa => new CertificateRequest(subject, rsa, hashAlgorithm, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException($"Unsupported key type {key.GetType()}."),
    };

    private static AsymmetricAlgorithm GetPrivateKey(X509Certificate2 certificate)
    {
        AsymmetricAlgorithm? key = certificate.GetECDsaPrivateKey();
        key ??= certificate.GetRSAPrivateKey();
        return key ?? throw new ArgumentException($"Certificate '{certificate.Subject}' has no ECDSA or RSA private key.", nameof(certificate));
    }

    private static X500DistinguishedName CommonName(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    /// <summary>16 random bytes, positive and without a leading zero byte, so DER encoding keeps all 16.</summary>
    private static byte[] NewSerialNumber()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    private static void EnsureParentDirectory(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}
