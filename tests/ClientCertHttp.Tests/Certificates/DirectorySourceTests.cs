using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;

namespace ClientCertHttp.Tests.Certificates;

public sealed class DirectorySourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData(TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.Pkcs1)]
    [InlineData(TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Sec1)]
    [InlineData(TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Pkcs8)]
    public async Task DirectorySource_KubeletSymlinkLayout_LoadsLeafAndIntermediateIgnoringCaCrt(TestKeyAlgorithm algorithm, TestPrivateKeyFormat format)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=k8s-client", o => o.KeyAlgorithm = algorithm);
        var folder = WriteSecret(leaf, format);

        File.ResolveLinkTarget(Path.Combine(folder, "tls.crt"), returnFinalTarget: false)!.FullName.Should().Contain("..data");
        var report = await SourceTestHost.LoadAsync(o => o.Certificate.Directory = folder);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Source.Should().Contain("Kubernetes").And.Contain(folder);
    }

    [Fact]
    public async Task DirectorySource_MissingFolder_FailsAsFileNotFound()
    {
        var folder = fixture.Temp.Combine("no-such-secret");

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Directory = folder);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        ex.Message.Should().Contain("Certificate:Directory");
        SourceTestHost.AssertNamesClientAndSource(ex, folder);
    }

    [Fact]
    public async Task DirectorySource_MissingTlsKey_FailsAsFileNotFoundNamingTheFile()
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        var folder = fixture.Temp.Combine("secret-" + Guid.NewGuid().ToString("N"));
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "tls.crt"), publicLeaf);

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Directory = folder);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        SourceTestHost.AssertNamesClientAndSource(ex, Path.Combine(folder, "tls.key"));
    }

    [Fact]
    public async Task DirectorySource_KeyOfAnotherCertificate_FailsAsKeyDoesNotMatch()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=k8s-owner");
        using var other = fixture.Ca.IssueClientCertificate("CN=k8s-other");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var folder = fixture.Temp.Combine("secret-" + Guid.NewGuid().ToString("N"));
        KubernetesTlsSecret.Write(folder, TestCertificateAuthority.ExportCertificatePem(publicLeaf), TestCertificateAuthority.ExportPrivateKeyPem(other, TestPrivateKeyFormat.Pkcs8));

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Directory = folder);

        ex.Reason.Should().Be(ClientCertificateFailureReason.KeyDoesNotMatchCertificate);
        SourceTestHost.AssertNamesClientAndSource(ex, Path.Combine(folder, "tls.key"));
    }

    private string WriteSecret(X509Certificate2 leaf, TestPrivateKeyFormat format)
    {
        var folder = fixture.Temp.Combine("secret-" + Guid.NewGuid().ToString("N"));
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        KubernetesTlsSecret.Write(
            folder,
            TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate),
            TestCertificateAuthority.ExportPrivateKeyPem(leaf, format),
            caCrt: TestCertificateAuthority.ExportCertificatePem(fixture.Ca.Root));
        return folder;
    }
}
