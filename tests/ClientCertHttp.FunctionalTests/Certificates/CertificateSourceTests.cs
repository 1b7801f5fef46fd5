using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests.Certificates;

/// <summary>
/// Every certificate source, with RSA and ECDSA client keys, against the real Kestrel server that trusts only the
/// root: the server must receive the leaf and the intermediate.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class CertificateSourceTests(MtlsFixture fixture)
{
    private const string KeyPassword = "Pem-Key-Pa55-3e1";

    public static TheoryData<TestKeyAlgorithm> Algorithms => [TestKeyAlgorithm.Rsa, TestKeyAlgorithm.Ecdsa];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task PemFiles_EncryptedPkcs8_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        var (certPath, keyPath) = WritePem(leaf, TestPrivateKeyFormat.EncryptedPkcs8, KeyPassword);

        await AssertServerSeesAsync(leaf, o =>
        {
            o.Certificate.Path = certPath;
            o.Certificate.KeyPath = keyPath;
            o.Certificate.Password = KeyPassword;
        });
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task PemFiles_TraditionalKeyAndChainPath_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        var id = Guid.NewGuid().ToString("N");
        using var publicLeaf = X509CertificateLoader.LoadCertificate(leaf.RawData);
        var certPath = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), publicLeaf);
        var chainPath = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + "-chain.crt"), fixture.Ca.Intermediate);
        var keyPath = fixture.Temp.Combine(id + ".key");
        await File.WriteAllTextAsync(keyPath, TestCertificateAuthority.ExportPrivateKeyPem(leaf, algorithm == TestKeyAlgorithm.Rsa ? TestPrivateKeyFormat.Pkcs1 : TestPrivateKeyFormat.Sec1));

        await AssertServerSeesAsync(leaf, o =>
        {
            o.Certificate.Path = certPath;
            o.Certificate.KeyPath = keyPath;
            o.Certificate.ChainPath = chainPath;
        });
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Store_BySubject_ServerSeesLeafAndIntermediateFromTheCaStore(TestKeyAlgorithm algorithm)
    {
        // HOME points at a temporary folder for this process (IsolatedStoreInitializer); the scopes also remove
        // the certificates again.
        var subject = "CN=functional-store-" + Guid.NewGuid().ToString("N");
        using var leaf = fixture.Ca.IssueClientCertificate(subject, o => o.KeyAlgorithm = algorithm);
        using var intermediate = X509CertificateLoader.LoadCertificate(fixture.Ca.Intermediate.RawData);
        using var my = IsolatedUserStore.Add("My", leaf);
        using var ca = IsolatedUserStore.Add("CA", intermediate);

        await AssertServerSeesAsync(leaf, o =>
        {
            o.Certificate.Store = "My";
            o.Certificate.Location = StoreLocation.CurrentUser;
            o.Certificate.Subject = subject[3..];
        });
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Base64Pfx_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        var base64 = Convert.ToBase64String(fixture.Ca.ExportPfx(leaf, MtlsFixture.Password));

        await AssertServerSeesAsync(leaf, o =>
        {
            o.Certificate.Base64 = base64;
            o.Certificate.Password = MtlsFixture.Password;
        });
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Base64Pem_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        using var publicLeaf = X509CertificateLoader.LoadCertificate(leaf.RawData);
        var pem = TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate)
            + TestCertificateAuthority.ExportPrivateKeyPem(leaf, TestPrivateKeyFormat.Pkcs8);

        await AssertServerSeesAsync(leaf, o => o.Certificate.Base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task KubernetesSecretFolder_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        using var publicLeaf = X509CertificateLoader.LoadCertificate(leaf.RawData);
        var folder = fixture.Temp.Combine("k8s-" + Guid.NewGuid().ToString("N"));
        KubernetesTlsSecret.Write(
            folder,
            TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate),
            TestCertificateAuthority.ExportPrivateKeyPem(leaf, algorithm == TestKeyAlgorithm.Rsa ? TestPrivateKeyFormat.Pkcs1 : TestPrivateKeyFormat.Sec1),
            caCrt: TestCertificateAuthority.ExportCertificatePem(fixture.Ca.Root));

        await AssertServerSeesAsync(leaf, o => o.Certificate.Directory = folder);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task CustomProvider_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = Issue(algorithm);
        var pfx = fixture.Ca.ExportPfx(leaf, password: null);

        await AssertServerSeesAsync(
            leaf,
            o => { },
            builder => builder.AddCertificateProvider(_ => new PfxBytesProvider(pfx)));
    }

    private X509Certificate2 Issue(TestKeyAlgorithm algorithm) =>
        fixture.Ca.IssueClientCertificate($"CN=functional-{algorithm}-{Guid.NewGuid():N}", o => o.KeyAlgorithm = algorithm);

    private (string CertPath, string KeyPath) WritePem(X509Certificate2 leaf, TestPrivateKeyFormat format, string? password)
    {
        var id = Guid.NewGuid().ToString("N");
        using var publicLeaf = X509CertificateLoader.LoadCertificate(leaf.RawData);
        var certPath = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), publicLeaf, fixture.Ca.Intermediate);
        var keyPath = fixture.Temp.Combine(id + ".key");
        File.WriteAllText(keyPath, TestCertificateAuthority.ExportPrivateKeyPem(leaf, format, password));
        return (certPath, keyPath);
    }

    private async Task AssertServerSeesAsync(X509Certificate2 leaf, Action<ClientCertHttpOptions> certificate, Action<IHttpClientBuilder>? builder = null)
    {
        using var host = await MtlsFixture.StartHostAsync(services =>
        {
            var b = services.AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.Certificate = new ClientCertificateOptions();
                certificate(o);
            });
            builder?.Invoke(b);
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative)) { Version = HttpVersion.Version20 };
        using var response = await client.SendAsync(request);

        var report = await MtlsTestServer.ReadReportAsync(response);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
        await host.StopAsync();
    }

    private sealed class PfxBytesProvider(byte[] pfx) : ICertificateProvider
    {
        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ClientCertificateBundle?>(new ClientCertificateBundle(X509CertificateLoader.LoadPkcs12Collection(pfx, password: null)));
    }
}
