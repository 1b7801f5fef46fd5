using System.Formats.Asn1;
using System.Security.Cryptography;
using ClientCertHttp.Testing;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>Certificate:CredentialBundlePath: a Kubernetes Pod Certificates credential bundle (the key, then the chain).</summary>
public sealed class CredentialBundleSourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData(TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Pkcs8)]
    [InlineData(TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.Pkcs8)]
    [InlineData(TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Sec1)]
    [InlineData(TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.Pkcs1)]
    public async Task CredentialBundle_KeyThenLeafThenIntermediate_LoadsTheLeafAndSendsTheIntermediate(TestKeyAlgorithm algorithm, TestPrivateKeyFormat format)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate", o => o.KeyAlgorithm = algorithm);
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var bundle = WriteBundle(TestCertificateAuthority.ExportPrivateKeyPem(leaf, format) + "\n" + TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate));

        var report = await SourceTestHost.LoadAsync(o => o.Certificate.CredentialBundlePath = bundle);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Source.Should().Contain("credential bundle").And.Contain(bundle);
    }

    [Fact]
    public async Task CredentialBundle_KubeletProjectedVolumeLayout_IsReadThroughTheDataLink()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate-volume");
        var bundle = fixture.Ca.WriteKubernetesCredentialBundle(fixture.Temp.Combine("podcert-" + Guid.NewGuid().ToString("N")), leaf);

        File.ResolveLinkTarget(bundle, returnFinalTarget: false)!.FullName.Should().Contain("..data");
        var report = await SourceTestHost.LoadAsync(o => o.Certificate.CredentialBundlePath = bundle);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task CredentialBundle_EncryptedKeyWithPasswordFile_Loads()
    {
        const string KeyPassword = "Bundle-Key-Pa55-41c";
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate-encrypted");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var bundle = WriteBundle(TestCertificateAuthority.ExportPrivateKeyPem(leaf, KeyPassword) + "\n" + TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate));
        var passwordFile = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".password");
        await File.WriteAllTextAsync(passwordFile, KeyPassword);

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.CredentialBundlePath = bundle;
            o.Certificate.PasswordFile = passwordFile;
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    public static TheoryData<string, ClientCertificateFailureReason, string> MalformedBundles => new()
    {
        { "certificates, then the key", ClientCertificateFailureReason.InvalidFormat, "private key comes after 2 certificate(s)" },
        { "certificates only", ClientCertificateFailureReason.NoPrivateKey, "holds no private key" },
        { "the key only", ClientCertificateFailureReason.InvalidFormat, "no certificate" },
        { "two keys, then the certificate", ClientCertificateFailureReason.InvalidFormat, "more than one private key" },
        { "the key, the certificate, a CRL", ClientCertificateFailureReason.InvalidFormat, "'X509 CRL'" },
        { "the key of another certificate, then the chain", ClientCertificateFailureReason.KeyDoesNotMatchCertificate, "CN=bundle-leaf" },

        // A PEM file of the Path + KeyPath source may list its certificates in any order; a credential bundle says the
        // first one is the leaf, so a key that belongs to a later one is a broken bundle, not a leaf to search for.
        { "the key, another certificate, then the key's certificate", ClientCertificateFailureReason.KeyDoesNotMatchCertificate, "CN=bundle-other" },

        // keyType: ED25519 of a podCertificate projection: .NET's TLS cannot sign with it.
        { "an Ed25519 key, then the chain", ClientCertificateFailureReason.UnsupportedKeyFormat, "an Ed25519 key" },
    };

    [Theory]
    [MemberData(nameof(MalformedBundles))]
    public async Task CredentialBundle_Malformed_FailsWithATypedErrorNamingThePath(string content, ClientCertificateFailureReason reason, string explanation)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=bundle-leaf");
        using var other = fixture.Ca.IssueClientCertificate("CN=bundle-other");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        using var publicOther = ClientCertFixture.PublicOnly(other);
        var key = TestCertificateAuthority.ExportPrivateKeyPem(leaf) + "\n";
        var chain = TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate);
        var bundle = WriteBundle(content switch
        {
            "certificates, then the key" => chain + key,
            "certificates only" => chain,
            "the key only" => key,
            "two keys, then the certificate" => key + key + chain,
            "the key, the certificate, a CRL" => key + chain + "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
            "the key of another certificate, then the chain" => TestCertificateAuthority.ExportPrivateKeyPem(other) + "\n" + chain,
            "an Ed25519 key, then the chain" => Ed25519PrivateKeyPem() + "\n" + chain,
            _ => key + TestCertificateAuthority.ExportCertificatePem(publicOther, publicLeaf),
        });

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.CredentialBundlePath = bundle);

        ex.Reason.Should().Be(reason);
        ex.Message.Should().Contain(explanation).And.Contain("Certificate:CredentialBundlePath");
        SourceTestHost.AssertNamesClientAndSource(ex, bundle);
    }

    [Fact]
    public async Task CredentialBundle_Missing_FailsAsFileNotFoundNamingThePath()
    {
        var bundle = fixture.Temp.Combine("no-such-credentialbundle.pem");

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.CredentialBundlePath = bundle);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        SourceTestHost.AssertNamesClientAndSource(ex, bundle);
    }

    [Fact]
    public async Task CredentialBundle_WithAnotherSource_FailsAsMultipleSourcesNamingBoth()
    {
        var pfx = fixture.WriteClientPfx();

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = ClientCertFixture.Password;
            o.Certificate.CredentialBundlePath = fixture.Temp.Combine("credentialbundle.pem");
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.MultipleCertificateSources);
        ex.Message.Should().Contain("Certificate:Path and Certificate:CredentialBundlePath");
    }

    [Fact]
    public void ClientCertificateReadinessReport_CreateFromOptions_DescribesTheBundle()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate-report");
        var bundle = fixture.Ca.WriteKubernetesCredentialBundle(fixture.Temp.Combine("podcert-" + Guid.NewGuid().ToString("N")), leaf);

        var report = ClientCertHttp.Diagnostics.ClientCertificateReadinessReport.CreateFromOptions("doctor", new ClientCertHttpOptions
        {
            Certificate = new ClientCertHttp.Certificates.ClientCertificateOptions { CredentialBundlePath = bundle },
        });

        report.Source.Should().Be($"Kubernetes Pod Certificates credential bundle '{bundle}'");
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(leaf.Thumbprint, fixture.Ca.Intermediate.Thumbprint);
    }

    /// <summary>A PKCS#8 Ed25519 key (RFC 8410), written by hand: .NET cannot generate one.</summary>
    private static string Ed25519PrivateKeyPem()
    {
        var seed = new AsnWriter(AsnEncodingRules.DER);
        seed.WriteOctetString(RandomNumberGenerator.GetBytes(32));
        var pkcs8 = new AsnWriter(AsnEncodingRules.DER);
        using (pkcs8.PushSequence())
        {
            pkcs8.WriteInteger(0);
            using (pkcs8.PushSequence())
            {
                pkcs8.WriteObjectIdentifier("1.3.101.112");
            }

            pkcs8.WriteOctetString(seed.Encode());
        }

        return PemEncoding.WriteString("PRIVATE KEY", pkcs8.Encode());
    }

    private string WriteBundle(string text)
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-credentialbundle.pem");
        File.WriteAllText(path, text);
        return path;
    }
}
