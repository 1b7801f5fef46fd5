using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Tests.DependencyInjection;

public sealed class StartupValidationTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    [Fact]
    public async Task AddClientCertHttpClient_MissingFile_FailsAtStartupNamingPathAndClient()
    {
        var path = fixture.Temp.Combine("does-not-exist.pfx");

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
        ex.CertificateSource.Should().Be(path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_PathIsAFolder_FailsAsUnreadable()
    {
        var folder = Directory.CreateDirectory(fixture.Temp.Combine("a-folder.pfx")).FullName;

        var ex = await StartWithPfx("payments", folder, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileUnreadable);
        AssertNamesSourceAndHidesPassword(ex, "payments", folder);
    }

    [Fact]
    public async Task AddClientCertHttpClient_WrongPfxPassword_FailsAtStartup()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, "not-the-password");

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
        ex.Message.Should().NotContain("not-the-password").And.Contain("Certificate:Password");
    }

    [Fact]
    public async Task AddClientCertHttpClient_PasswordMissingForProtectedPfx_FailsAsWrongPassword()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, password: null);

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        ex.Message.Should().Contain("no password is configured");
    }

    [Fact]
    public async Task AddClientCertHttpClient_TruncatedPfx_FailsAsInvalidFormatNotWrongPassword()
    {
        var path = fixture.WriteClientPfx();
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_PemFileGivenAsPfx_FailsAsInvalidFormatWithConversionHint()
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        var path = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine("client.pem"), leaf);

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        ex.Message.Should().Contain("PEM").And.Contain("openssl pkcs12 -export");
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_RandomBytes_FailsAsInvalidFormat()
    {
        var path = fixture.Temp.Combine("random.pfx");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(512));

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
    }

    [Fact]
    public async Task AddClientCertHttpClient_PfxWithoutPrivateKey_FailsAsNoPrivateKey()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=no-key");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        using var publicIntermediate = ClientCertFixture.PublicOnly(fixture.Ca.Intermediate);
        var path = fixture.Temp.Combine("no-key.pfx");
        await File.WriteAllBytesAsync(path, new X509Certificate2Collection { publicIntermediate, publicLeaf }.Export(X509ContentType.Pkcs12, Password)!);

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoPrivateKey);
        ex.Message.Should().Contain("CN=no-key");
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_ExpiredCertificate_FailsAsExpired()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(-30);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
        });

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.Expired);
        ex.Message.Should().Contain("expired on").And.Contain("CN=unit-client");
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_CertificateNotYetValid_FailsAsNotYetValid()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(2);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(30);
        });

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.NotYetValid);
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_ServerAuthOnlyEku_FailsAsMissingClientAuthentication()
    {
        var path = fixture.WriteClientPfx(configure: o => o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid]);

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.MissingClientAuthenticationUsage);
        ex.Message.Should().Contain("clientAuth");
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_NoEkuExtension_StartsBecauseNoRestrictionApplies()
    {
        var path = fixture.WriteClientPfx(configure: o => o.EnhancedKeyUsages = []);

        await StartAndStopWithPfx(path, Password);
    }

    [Fact]
    public async Task AddClientCertHttpClient_KeyUsageWithoutDigitalSignature_FailsAtStartup()
    {
        // RSA: .NET treats an EC certificate without digitalSignature as an ECDH key and will not pair it with ECDSA.
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.KeyAlgorithm = TestKeyAlgorithm.Rsa;
            o.KeyUsage = X509KeyUsageFlags.KeyEncipherment;
        });

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.MissingDigitalSignatureUsage);
    }

    [Fact]
    public async Task AddClientCertHttpClient_ExpiredAndWrongEku_ReportsBothProblemsInOneException()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(-30);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
            o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid];
        });

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.Expired);
        ex.Failures.Should().HaveCount(2);
        ex.Message.Should().Contain("2 problems").And.Contain("expired").And.Contain("clientAuth");
    }

    [Fact]
    public async Task AddClientCertHttpClient_TwoKeyedCertificatesWithoutThumbprint_FailsAsAmbiguous()
    {
        var path = WritePfxWithTwoClientCertificates(out var first, out var second);

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.AmbiguousCertificate);
        ex.Message.Should().Contain(first).And.Contain(second).And.Contain("Certificate:Thumbprint");
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_TwoKeyedCertificatesWithThumbprint_Starts()
    {
        var path = WritePfxWithTwoClientCertificates(out _, out var second);

        await StartAndStopWithPfx(path, Password, o => o.Certificate.Thumbprint = string.Join(' ', second.Chunk(2).Select(c => new string(c))).ToLowerInvariant());
    }

    [Fact]
    public async Task AddClientCertHttpClient_ThumbprintMatchingNothing_FailsAsCertificateNotFound()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, o => o.Certificate.Thumbprint = new string('A', 40));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain(new string('A', 40));
    }

    [Theory]
    [InlineData("ABC")]
    [InlineData("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    public async Task AddClientCertHttpClient_MalformedThumbprint_FailsAsInvalidConfiguration(string thumbprint)
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, o => o.Certificate.Thumbprint = thumbprint);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:Thumbprint").And.Contain("hexadecimal");
    }

    [Fact]
    public async Task AddClientCertHttpClient_PfxOverIterationLimit_FailsAsLoaderLimitExceeded()
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        var path = fixture.Ca.WritePfx(
            fixture.Temp.Combine("slow.pfx"),
            leaf,
            Password,
            pbeParameters: new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 700_000));

        var ex = await StartWithPfx("payments", path, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.LoaderLimitExceeded);
        AssertNamesSourceAndHidesPassword(ex, "payments", path);
    }

    [Fact]
    public async Task AddClientCertHttpClient_NoCertificateConfigured_FailsBecauseNoCertificateWouldBeSent()
    {
        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient("payments", o => o.BaseAddress = new Uri("https://127.0.0.1/")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoCertificateConfigured);
        ex.Message.Should().Contain("'payments'").And.Contain("Certificate:Path");
    }

    [Fact]
    public async Task AddClientCertHttpClient_HttpBaseAddress_FailsAsInvalidConfiguration()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, o => o.BaseAddress = new Uri("http://127.0.0.1/"));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("BaseAddress").And.Contain("https");
    }

    [Fact]
    public async Task AddClientCertHttpClient_ProblemsInSeveralClients_AreReportedTogether()
    {
        var good = fixture.WriteClientPfx();
        var missing = fixture.Temp.Combine("missing.pfx");

        var failure = await ClientCertFixture.StartupFailureAsync(services =>
        {
            services.AddClientCertHttpClient("ok", o =>
            {
                o.Certificate.Path = good;
                o.Certificate.Password = Password;
            });
            services.AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = missing;
                o.Certificate.Password = Password;
            });
            services.AddClientCertHttpClient("ledger", o =>
            {
                o.Certificate.Path = good;
                o.Certificate.Password = "wrong";
            });
        });

        var problems = failure.Should().BeOfType<AggregateException>().Subject.InnerExceptions
            .Should().AllBeOfType<ClientCertificateException>().Subject.Cast<ClientCertificateException>().ToList();
        problems.Select(p => (p.ClientName, p.Reason)).Should().BeEquivalentTo(new[]
        {
            ("payments", ClientCertificateFailureReason.FileNotFound),
            ("ledger", ClientCertificateFailureReason.WrongPassword),
        });
    }

    [Fact]
    public async Task AddClientCertHttpClient_CustomRootsWithoutPath_FailsAsInvalidServerTrust()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, o => o.ServerTrust.Mode = ServerTrustMode.CustomRoots);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain("ServerTrust:RootCertificatesPath");
    }

    [Fact]
    public async Task AddClientCertHttpClient_RootFileWithoutCertificates_FailsAsInvalidServerTrust()
    {
        var path = fixture.WriteClientPfx();
        var roots = fixture.Temp.Combine("roots.pem");
        await File.WriteAllTextAsync(roots, "-----BEGIN NOTHING-----\n-----END NOTHING-----\n");

        var ex = await StartWithPfx("payments", path, Password, o =>
        {
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = roots;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidServerTrust);
        ex.Message.Should().Contain(roots);
    }

    [Fact]
    public async Task AddClientCertHttpClient_PrimaryHandlerReplacedByHttpClientHandler_FailsAtStartup()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, builder: b => b.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler()));

        ex.Reason.Should().Be(ClientCertificateFailureReason.UnsupportedPrimaryHandler);
        ex.Message.Should().Contain("HttpClientHandler").And.Contain("'payments'");
    }

    [Fact]
    public async Task AddClientCertHttpClient_HandlerWithOwnValidationCallback_FailsAtStartup()
    {
        var path = fixture.WriteClientPfx();

        var ex = await StartWithPfx("payments", path, Password, builder: b => b.UseSocketsHttpHandler((handler, _) =>
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == System.Net.Security.SslPolicyErrors.None));

        ex.Reason.Should().Be(ClientCertificateFailureReason.UnsupportedPrimaryHandler);
        ex.Message.Should().Contain("ServerTrust");
    }

    [Fact]
    public void AddClientCertHttpClient_WithoutHost_StartupValidatorReportsTheProblem()
    {
        var services = new ServiceCollection();
        services.AddClientCertHttpClient("payments", o => o.Certificate.Path = fixture.Temp.Combine("nope.pfx"));
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IStartupValidator>().Validate();

        act.Should().Throw<ClientCertificateException>().Which.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
    }

    [Fact]
    public void CreateClient_InvalidConfigurationWithoutStartupValidation_ThrowsTheTypedException()
    {
        var services = new ServiceCollection();
        services.AddClientCertHttpClient("payments", o => o.Certificate.Path = fixture.Temp.Combine("nope.pfx"));
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        act.Should().Throw<ClientCertificateException>().Which.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
    }

    private static Task<ClientCertificateException> StartWithPfx(
        string client,
        string path,
        string? password,
        Action<ClientCertHttpOptions>? configure = null,
        Action<IHttpClientBuilder>? builder = null) =>
        ClientCertFixture.StartupCertificateFailureAsync(services =>
        {
            var b = services.AddClientCertHttpClient(client, o => ConfigurePfx(o, path, password, configure));
            builder?.Invoke(b);
        });

    private static async Task StartAndStopWithPfx(string path, string? password, Action<ClientCertHttpOptions>? configure = null)
    {
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient("payments", o => ConfigurePfx(o, path, password, configure)));

        await host.StartAsync();
        await host.StopAsync();
    }

    private static void ConfigurePfx(ClientCertHttpOptions options, string path, string? password, Action<ClientCertHttpOptions>? configure)
    {
        options.Certificate.Path = path;
        options.Certificate.Password = password;
        configure?.Invoke(options);
    }

    private static void AssertNamesSourceAndHidesPassword(ClientCertificateException ex, string client, string path)
    {
        ex.ClientName.Should().Be(client);
        ex.Message.Should().Contain($"'{client}'").And.Contain(path).And.NotContain(Password);
        ex.ToString().Should().NotContain(Password);
        ex.OptionsName.Should().Be(client);
    }

    private string WritePfxWithTwoClientCertificates(out string firstThumbprint, out string secondThumbprint)
    {
        using var first = fixture.Ca.IssueClientCertificate("CN=first");
        using var second = fixture.Ca.IssueClientCertificate("CN=second");
        firstThumbprint = first.Thumbprint;
        secondThumbprint = second.Thumbprint;
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        File.WriteAllBytes(path, new X509Certificate2Collection { first, second }.Export(X509ContentType.Pkcs12, Password)!);
        return path;
    }
}
