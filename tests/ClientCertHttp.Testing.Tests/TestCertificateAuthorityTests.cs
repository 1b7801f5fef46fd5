using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing.Tests;

public sealed class TestCertificateAuthorityTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("CA Tests");
    private readonly TempDirectory _temp = new();

    [Theory]
    [InlineData(TestKeyAlgorithm.Ecdsa)]
    [InlineData(TestKeyAlgorithm.Rsa)]
    public void IssueClientCertificate_AnyAlgorithm_ChainsToRootThroughIntermediate(TestKeyAlgorithm algorithm)
    {
        using var ca = TestCertificateAuthority.Create("Algorithm", algorithm);
        using var leaf = ca.IssueClientCertificate("CN=chained", o => o.KeyAlgorithm = algorithm);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Root);
        chain.ChainPolicy.ExtraStore.Add(ca.Intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(TestCertificateAuthority.ClientAuthenticationOid));

        chain.Build(leaf).Should().BeTrue(string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
        chain.ChainElements.Select(e => e.Certificate.Subject).Should().Equal("CN=chained", "CN=Algorithm Intermediate CA", "CN=Algorithm Root CA");
        (algorithm == TestKeyAlgorithm.Rsa ? leaf.GetRSAPublicKey() is not null : leaf.GetECDsaPublicKey() is not null).Should().BeTrue();
    }

    [Fact]
    public void IssueServerCertificate_Options_AppliesValiditySansAndEkus()
    {
        var notBefore = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var notAfter = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);

        using var leaf = _ca.IssueServerCertificate("CN=svc", o =>
        {
            o.NotBefore = notBefore;
            o.NotAfter = notAfter;
            o.DnsNames.Add("svc.example.test");
            o.UriNames.Add(new Uri("spiffe://example.test/ns/default/sa/svc"));
            o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid, TestCertificateAuthority.ClientAuthenticationOid];
        });

        leaf.NotBefore.ToUniversalTime().Should().Be(notBefore.UtcDateTime);
        leaf.NotAfter.ToUniversalTime().Should().Be(notAfter.UtcDateTime);
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateDnsNames().Should().Equal("localhost", "svc.example.test");
        san.EnumerateIPAddresses().Should().Equal(IPAddress.Loopback, IPAddress.IPv6Loopback);
        san.Format(multiLine: false).Should().Contain("spiffe://example.test/ns/default/sa/svc");
        leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value)
            .Should().Equal(TestCertificateAuthority.ServerAuthenticationOid, TestCertificateAuthority.ClientAuthenticationOid);
    }

    [Theory]
    [InlineData(TestKeyAlgorithm.Ecdsa, "1.2.840.10045.4.1")]
    [InlineData(TestKeyAlgorithm.Rsa, "1.2.840.113549.1.1.5")]
    public void IssueClientCertificate_Sha1_SignsWithSha1ForNegativeTests(TestKeyAlgorithm algorithm, string signatureOid)
    {
        using var ca = TestCertificateAuthority.Create("SHA-1", algorithm);

        using var leaf = ca.IssueClientCertificate("CN=weak", o =>
        {
            o.KeyAlgorithm = algorithm;
            o.RsaKeySize = 1024;
            o.HashAlgorithm = HashAlgorithmName.SHA1;
        });

        leaf.SignatureAlgorithm.Value.Should().Be(signatureOid);
        if (algorithm == TestKeyAlgorithm.Rsa)
        {
            using RSA rsa = leaf.GetRSAPublicKey()!;
            rsa.KeySize.Should().Be(1024);
        }
    }

    [Fact]
    public void IssueClientCertificate_NotAfterBeforeNotBefore_Throws()
    {
        Action issue = () => _ca.IssueClientCertificate(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow;
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
        }).Dispose();

        issue.Should().Throw<ArgumentException>().WithMessage("*NotAfter*");
    }

    [Fact]
    public void BuildIntermediateCrl_RevokedLeaf_ListsItsSerialSignedByIntermediate()
    {
        using var revoked = _ca.IssueClientCertificate("CN=revoked");

        byte[] der = _ca.BuildIntermediateCrl(revoked);
        CertificateRevocationListBuilder builder = CertificateRevocationListBuilder.Load(der, out _);

        // Re-signing proves the entry round-trips; the serial is what a validator looks up.
        builder.RemoveEntry(revoked.SerialNumberBytes.Span).Should().BeTrue();
    }

    [Fact]
    public void ExportPfx_Defaults_LeafWithKeyLastAndIntermediateWithoutKey()
    {
        using var leaf = _ca.IssueClientCertificate("CN=pfx");

        byte[] pfx = _ca.ExportPfx(leaf, "p@ss");
        X509Certificate2Collection loaded = X509CertificateLoader.LoadPkcs12Collection(pfx, "p@ss");

        try
        {
            loaded.Select(c => c.Subject).Should().Equal("CN=CA Tests Intermediate CA", "CN=pfx");
            loaded[0].HasPrivateKey.Should().BeFalse("the CA's private key must never leave the CA");
            loaded[1].HasPrivateKey.Should().BeTrue();
        }
        finally
        {
            foreach (X509Certificate2 certificate in loaded)
            {
                certificate.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("pem-secret")]
    public void WritePrivateKeyPem_WithAndWithoutPassword_LoadsBackWithCertificate(string? password)
    {
        using var leaf = _ca.IssueClientCertificate("CN=pem");
        string certPath = TestCertificateAuthority.WriteCertificatePem(_temp.Combine("pem", "tls.crt"), leaf, _ca.Intermediate);
        string keyPath = TestCertificateAuthority.WritePrivateKeyPem(_temp.Combine("pem", "tls.key"), leaf, password);

        File.ReadAllText(keyPath).Should().StartWith(password is null ? "-----BEGIN PRIVATE KEY-----" : "-----BEGIN ENCRYPTED PRIVATE KEY-----");
        using X509Certificate2 loaded = password is null
            ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certPath, password, keyPath);
        loaded.Thumbprint.Should().Be(leaf.Thumbprint);
        loaded.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public void ExportPrivateKeyPem_Pkcs1ForEcdsaKey_Throws()
    {
        using var leaf = _ca.IssueClientCertificate();

        Action export = () => TestCertificateAuthority.ExportPrivateKeyPem(leaf, TestPrivateKeyFormat.Pkcs1);

        export.Should().Throw<ArgumentException>().WithMessage("*RSA*");
    }

    [Fact]
    public void WriteKubernetesTlsSecret_NewFolder_WritesKubeletLayout()
    {
        using var leaf = _ca.IssueClientCertificate("CN=pod");
        string mount = _temp.Combine("secret");

        _ca.WriteKubernetesTlsSecret(mount, leaf);

        new FileInfo(Path.Combine(mount, "..data")).LinkTarget.Should().StartWith("..20");
        foreach (string name in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            new FileInfo(Path.Combine(mount, name)).LinkTarget.Should().Be(Path.Combine("..data", name));
        }

        using X509Certificate2 loaded = X509Certificate2.CreateFromPemFile(Path.Combine(mount, "tls.crt"), Path.Combine(mount, "tls.key"));
        loaded.Thumbprint.Should().Be(leaf.Thumbprint);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(mount, "tls.crt"));
        chain.Select(c => c.Subject).Should().Equal("CN=pod", "CN=CA Tests Intermediate CA");
        File.ReadAllText(Path.Combine(mount, "ca.crt")).Should().Be(TestCertificateAuthority.ExportCertificatePem(_ca.Root));
    }

    [Fact]
    public void WriteKubernetesTlsSecret_ExistingSecret_SwapsDataAtomicallyAndRemovesOldFolder()
    {
        using var first = _ca.IssueClientCertificate("CN=first");
        using var second = _ca.IssueClientCertificate("CN=second");
        string mount = _temp.Combine("rotating");
        _ca.WriteKubernetesTlsSecret(mount, first);
        string? firstData = new FileInfo(Path.Combine(mount, "..data")).LinkTarget;

        _ca.WriteKubernetesTlsSecret(mount, second, includeCaCrt: false);

        string? secondData = new FileInfo(Path.Combine(mount, "..data")).LinkTarget;
        secondData.Should().NotBe(firstData);
        Directory.Exists(Path.Combine(mount, firstData!)).Should().BeFalse();
        File.Exists(Path.Combine(mount, "ca.crt")).Should().BeFalse("a key that left the secret loses its link");
        using X509Certificate2 loaded = X509Certificate2.CreateFromPemFile(Path.Combine(mount, "tls.crt"), Path.Combine(mount, "tls.key"));
        loaded.Subject.Should().Be("CN=second");
    }

    [Fact]
    public void KubernetesTlsSecretUpdate_FolderWithoutSecret_Throws()
    {
        string folder = Directory.CreateDirectory(_temp.Combine("empty")).FullName;

        Action update = () => KubernetesTlsSecret.Update(folder, "crt", "key");

        update.Should().Throw<InvalidOperationException>().WithMessage("*..data*");
    }

    [Fact]
    public void WriteKubernetesCredentialBundle_NewAndExistingVolume_KeyFirstThenChain_SwappedAtomically()
    {
        using var first = _ca.IssueClientCertificate("CN=pod-1");
        using var second = _ca.IssueClientCertificate("CN=pod-2");
        string mount = _temp.Combine("podcert");

        string bundle = _ca.WriteKubernetesCredentialBundle(mount, first);
        string? firstData = new FileInfo(Path.Combine(mount, "..data")).LinkTarget;
        string firstText = File.ReadAllText(bundle);
        _ca.WriteKubernetesCredentialBundle(mount, second);

        bundle.Should().Be(Path.GetFullPath(Path.Combine(mount, "credentialbundle.pem")));
        new FileInfo(bundle).LinkTarget.Should().Be(Path.Combine("..data", "credentialbundle.pem"));
        firstText.Should().StartWith("-----BEGIN PRIVATE KEY-----");
        new FileInfo(Path.Combine(mount, "..data")).LinkTarget.Should().NotBe(firstData);
        Directory.Exists(Path.Combine(mount, firstData!)).Should().BeFalse();
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(bundle);
        chain.Select(c => c.Subject).Should().Equal("CN=pod-2", "CN=CA Tests Intermediate CA");
        using X509Certificate2 loaded = X509Certificate2.CreateFromPemFile(bundle);
        loaded.Thumbprint.Should().Be(second.Thumbprint);
    }

    [Fact]
    public void KubernetesProjectedVolumeUpdate_FileLeavesAndFileArrives_LinksFollow()
    {
        string mount = _temp.Combine("projected");
        KubernetesProjectedVolume.Write(mount, new Dictionary<string, string> { ["a.txt"] = "a1", ["b.txt"] = "b1" });

        KubernetesProjectedVolume.Update(mount, new Dictionary<string, string> { ["b.txt"] = "b2", ["c.txt"] = "c2" });

        File.Exists(Path.Combine(mount, "a.txt")).Should().BeFalse("a file that left the volume loses its link");
        File.ReadAllText(Path.Combine(mount, "b.txt")).Should().Be("b2");
        File.ReadAllText(Path.Combine(mount, "c.txt")).Should().Be("c2");
        new FileInfo(Path.Combine(mount, "c.txt")).LinkTarget.Should().Be(Path.Combine("..data", "c.txt"));
    }

    [Theory]
    [InlineData("sub/file.pem")]
    [InlineData("..data")]
    [InlineData("")]
    public void KubernetesProjectedVolumeWrite_NotAPlainFileName_Throws(string name)
    {
        Action write = () => KubernetesProjectedVolume.Write(_temp.Combine("bad"), new Dictionary<string, string> { [name] = "x" });

        write.Should().Throw<ArgumentException>().WithParameterName("files");
    }

    [Fact]
    public void TempDirectory_Dispose_DeletesFolderWithContent()
    {
        var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("file.txt"), "x");

        temp.Dispose();

        Directory.Exists(temp.Path).Should().BeFalse();
        Path.GetFileName(temp.Path).Should().StartWith("clientcerthttp-");
    }

    [Fact]
    public void Dispose_ThenIssue_ThrowsObjectDisposed()
    {
        var ca = TestCertificateAuthority.Create("Disposed");
        ca.Dispose();

        Action issue = () => ca.IssueClientCertificate().Dispose();

        issue.Should().Throw<ObjectDisposedException>();
    }

    public void Dispose()
    {
        _temp.Dispose();
        _ca.Dispose();
    }
}
