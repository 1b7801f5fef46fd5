using System.Text;
using ClientCertHttp.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tests.Certificates;

public sealed class InlineSourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public async Task InlineSource_Base64Pfx_LoadsLeafAndIntermediate()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=inline-pfx");
        var base64 = Convert.ToBase64String(fixture.Ca.ExportPfx(leaf, Password));

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Base64 = base64;
            o.Certificate.Password = Password;
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InlineSource_PemText_LoadsLeafAndIntermediate(bool base64Encoded)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=inline-pem", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var pem = TestCertificateAuthority.ExportCertificatePem(publicLeaf, fixture.Ca.Intermediate)
            + TestCertificateAuthority.ExportPrivateKeyPem(leaf, TestPrivateKeyFormat.Pkcs1);

        var report = await SourceTestHost.LoadAsync(o =>
            o.Certificate.Base64 = base64Encoded ? Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) : pem);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task InlineSource_FromEnvironmentStyleConfiguration_NamesTheFullKeyOnError()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientCertHttp:Clients:payments:Certificate:Base64"] = "this is *not* base64 %%%",
        }).Build();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", configuration.GetSection("ClientCertHttp:Clients:payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        ex.Message.Should().Contain("ClientCertHttp:Clients:payments:Certificate:Base64").And.Contain("not valid Base64");
        ex.Message.Should().NotContain("this is *not* base64");
    }

    [Fact]
    public async Task InlineSource_NotBase64_FailsAsInvalidFormatWithoutEchoingTheValue()
    {
        const string Value = "S3cr3t-but-not-base64!";

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Base64 = Value);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:Base64", Value);
    }

    [Fact]
    public async Task InlineSource_Base64PfxWithWrongPassword_FailsAsWrongPassword()
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        var base64 = Convert.ToBase64String(fixture.Ca.ExportPfx(leaf, Password));

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Base64 = base64;
            o.Certificate.Password = "nope-wrong";
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:Base64", "nope-wrong", Password, base64[..40]);
    }

    [Fact]
    public async Task InlineSource_PemWithoutKey_FailsAsNoPrivateKey()
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Base64 = TestCertificateAuthority.ExportCertificatePem(publicLeaf));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoPrivateKey);
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:Base64");
    }

    [Fact]
    public async Task InlineSource_ValueLargerThanAnyCertificate_FailsAsLoaderLimitExceeded()
    {
        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Base64 = new string('A', 6 * 1024 * 1024));

        ex.Reason.Should().Be(ClientCertificateFailureReason.LoaderLimitExceeded);
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:Base64");
    }

    [Fact]
    public async Task InlineSource_Base64OfRandomBytes_FailsAsInvalidFormat()
    {
        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes("hello, not a certificate")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:Base64");
    }
}
