using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.Tests.Diagnostics;

/// <summary>
/// The offline readiness report: each verdict and warning from certificates minted at run time, the Information log a
/// client writes once per loaded certificate, and the service that serves the report.
/// </summary>
public sealed class ReadinessReportTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Client = "payments";

    [Fact]
    public void CreateFromOptions_PfxWithIntermediateAndRoot_IsReadyWithTheChainAsSent()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=ready-client");
        var path = fixture.Ca.WritePfx(NewPath(), leaf, ClientCertFixture.Password, includeRoot: true);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.Status.Should().Be(ClientCertificateReadinessStatus.Ready);
        report.Findings.Should().BeEmpty();
        report.ClientName.Should().Be(Client);
        report.Source.Should().Contain(path);
        report.Certificate.Subject.Should().Be("CN=ready-client");
        report.Certificate.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Certificate.KeyAlgorithm.Should().Be("ECDSA");
        report.Certificate.KeySize.Should().Be(256);
        report.Certificate.NotAfter.Should().Be(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(leaf.Thumbprint, fixture.Ca.Intermediate.Thumbprint);
        report.ChainStatus.Should().Be(ClientCertificateChainStatus.Complete);
        report.Root!.Thumbprint.Should().Be(fixture.Ca.Root.Thumbprint, "the root in the file completes the chain; it is not sent");
        report.MissingIssuer.Should().BeNull();
        report.UsageVerdict.Should().Be(ClientCertificateUsageVerdict.ClientAuthentication);
        report.ExtendedKeyUsages.Should().Equal(TestCertificateAuthority.ClientAuthenticationOid);
    }

    [Fact]
    public void CreateFromOptions_IntermediateSentRootUnknown_EndsAtIntermediateWithoutWarning()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=usual-client");
        var path = fixture.Ca.WritePfx(NewPath(), leaf, ClientCertFixture.Password);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.ChainStatus.Should().Be(ClientCertificateChainStatus.EndsAtIntermediate);
        report.MissingIssuer.Should().Be(fixture.Ca.Root.Subject, "only the root, which the server holds, is unknown here");
        report.SentChain.Should().HaveCount(2);
        report.Status.Should().Be(ClientCertificateReadinessStatus.Ready);
    }

    [Fact]
    public void CreateFromOptions_LeafWithoutIntermediate_WarnsChainIncomplete()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=lonely-client");
        var path = fixture.Ca.WritePfx(NewPath(), leaf, ClientCertFixture.Password, includeIntermediate: false);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.SentChain.Should().ContainSingle().Which.Thumbprint.Should().Be(leaf.Thumbprint);
        report.ChainStatus.Should().Be(ClientCertificateChainStatus.EndsAtIntermediate);
        report.MissingIssuer.Should().Be(fixture.Ca.Intermediate.Subject);
        report.MissingIssuerDownloadUrls.Should().BeEmpty();
        Single(report, ClientCertificateReadinessCode.ChainIncomplete, ClientCertificateReadinessSeverity.Warning)
            .Message.Should().Contain(fixture.Ca.Intermediate.Subject).And.Contain("add the intermediate");
        report.Status.Should().Be(ClientCertificateReadinessStatus.ReadyWithWarnings);
    }

    [Fact]
    public void CreateFromOptions_IntermediateOnlyInTheUserStore_WarnsThatTheChainDependsOnTheStore()
    {
        // A CA of its own: its intermediate in the (isolated) user CA store must not change the other tests' chains.
        using var ca = TestCertificateAuthority.Create("ClientCertHttp Store Chain");
        using var leaf = ca.IssueClientCertificate("CN=store-chain-client");
        var path = ca.WritePfx(NewPath(), leaf, ClientCertFixture.Password, includeIntermediate: false);
        using var intermediate = ClientCertFixture.PublicOnly(ca.Intermediate);
        using var store = IsolatedUserStore.Add("CA", intermediate);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.SentChain.Select(c => c.Thumbprint).Should().Equal(leaf.Thumbprint, ca.Intermediate.Thumbprint);
        report.MissingIssuer.Should().Be(ca.Root.Subject);
        Single(report, ClientCertificateReadinessCode.ChainDependsOnSystemStore, ClientCertificateReadinessSeverity.Warning)
            .Message.Should().Contain(ca.Intermediate.Subject);
        report.Findings.Should().NotContain(f => f.Code == ClientCertificateReadinessCode.ChainIncomplete);
    }

    [Fact]
    public void CreateFromOptions_SelfSignedCertificate_IsCompleteAtItself()
    {
        using var leaf = fixture.Ca.CreateSelfSigned("CN=self-signed-client");
        var path = fixture.Ca.WritePfx(NewPath(), leaf, ClientCertFixture.Password, includeIntermediate: false);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.ChainStatus.Should().Be(ClientCertificateChainStatus.Complete);
        report.Root!.IsSelfSigned.Should().BeTrue();
        report.SentChain.Should().ContainSingle();
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public void CreateFromOptions_ExpiresWithinWindow_WarnsExpiresSoon()
    {
        var path = fixture.WriteClientPfx(configure: o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(5));
        var options = Pfx(path);
        options.ExpiryWarningWindow = TimeSpan.FromDays(10);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, options);

        Single(report, ClientCertificateReadinessCode.ExpiresSoon, ClientCertificateReadinessSeverity.Warning).Message.Should().Contain("days");
        report.Status.Should().Be(ClientCertificateReadinessStatus.ReadyWithWarnings);
    }

    [Fact]
    public void CreateFromOptions_ExpiresAfterWindow_HasNoExpiryFinding()
    {
        var path = fixture.WriteClientPfx(configure: o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(5));
        var options = Pfx(path);
        options.ExpiryWarningWindow = TimeSpan.FromDays(2);

        ClientCertificateReadinessReport.CreateFromOptions(Client, options).Findings.Should().NotContain(f => f.Code == ClientCertificateReadinessCode.ExpiresSoon);
    }

    [Fact]
    public void CreateFromOptions_ExpiredCertificate_IsReportedAsAnErrorInsteadOfThrown()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(-30);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
        });

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        Single(report, ClientCertificateReadinessCode.Expired, ClientCertificateReadinessSeverity.Error);
        report.Status.Should().Be(ClientCertificateReadinessStatus.NotReady);
    }

    [Fact]
    public void CreateFromOptions_NotYetValid_IsAnError()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(2);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(30);
        });

        Single(ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path)), ClientCertificateReadinessCode.NotYetValid, ClientCertificateReadinessSeverity.Error);
    }

    [Fact]
    public void CreateFromOptions_Sha1SignedCertificate_WarnsWeakSignature()
    {
        var path = fixture.WriteClientPfx(configure: o => o.HashAlgorithm = HashAlgorithmName.SHA1);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        Single(report, ClientCertificateReadinessCode.WeakSignatureAlgorithm, ClientCertificateReadinessSeverity.Warning).Message.Should().Contain("CN=unit-client");
        report.Certificate.SignatureAlgorithmOid.Should().Be("1.2.840.10045.4.1");
    }

    [Fact]
    public void CreateFromOptions_Rsa1024Key_WarnsWeakRsaKey()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.KeyAlgorithm = TestKeyAlgorithm.Rsa;
            o.RsaKeySize = 1024;
        });

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.Certificate.KeyAlgorithm.Should().Be("RSA");
        report.Certificate.KeySize.Should().Be(1024);
        Single(report, ClientCertificateReadinessCode.WeakRsaKey, ClientCertificateReadinessSeverity.Warning).Message.Should().Contain("1024");
    }

    [Fact]
    public void CreateFromOptions_Rsa2048Key_HasNoKeyFinding()
    {
        var path = fixture.WriteClientPfx(configure: o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.Certificate.KeySize.Should().Be(2048);
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public void CreateFromOptions_ServerAuthOnlyCertificate_IsNotForClientAuthentication()
    {
        var path = fixture.WriteClientPfx(configure: o => o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid]);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.UsageVerdict.Should().Be(ClientCertificateUsageVerdict.NotForClientAuthentication);
        report.ExtendedKeyUsages.Should().Equal(TestCertificateAuthority.ServerAuthenticationOid);
        Single(report, ClientCertificateReadinessCode.NotForClientAuthentication, ClientCertificateReadinessSeverity.Error);
        report.Status.Should().Be(ClientCertificateReadinessStatus.NotReady);
    }

    [Fact]
    public void CreateFromOptions_KeyUsageWithoutDigitalSignature_IsAnError()
    {
        var path = fixture.WriteClientPfx(configure: o =>
        {
            o.KeyAlgorithm = TestKeyAlgorithm.Rsa;
            o.KeyUsage = X509KeyUsageFlags.KeyEncipherment;
        });

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.UsageVerdict.Should().Be(ClientCertificateUsageVerdict.MissingDigitalSignature);
        Single(report, ClientCertificateReadinessCode.MissingDigitalSignatureUsage, ClientCertificateReadinessSeverity.Error);
    }

    [Theory]
    [InlineData("2.5.29.37.0", ClientCertificateUsageVerdict.AnyPurpose)]
    [InlineData(null, ClientCertificateUsageVerdict.Unrestricted)]
    public void CreateFromOptions_PermissiveUsages_AllowClientAuthentication(string? eku, ClientCertificateUsageVerdict expected)
    {
        var path = fixture.WriteClientPfx(configure: o => o.EnhancedKeyUsages = eku is null ? [] : [eku]);

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(path));

        report.UsageVerdict.Should().Be(expected);
        report.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData("file", "with-newline\n")]
    [InlineData("file", " leading-space")]
    [InlineData("base64", "with-crlf\r\n")]
    [InlineData("base64", "trailing-tab\t")]
    public void CreateFromOptions_PasswordWithSurroundingWhitespace_ReportsTheFactButNeverThePassword(string source, string password)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=whitespace-client");
        var options = new ClientCertHttpOptions { ExpiryWarningWindow = TimeSpan.FromDays(1) };
        options.Certificate.Password = password;
        if (source == "file")
        {
            options.Certificate.Path = fixture.Ca.WritePfx(NewPath(), leaf, password);
        }
        else
        {
            options.Certificate.Base64 = Convert.ToBase64String(fixture.Ca.ExportPfx(leaf, password));
        }

        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, options);

        Single(report, ClientCertificateReadinessCode.PasswordHasSurroundingWhitespace, ClientCertificateReadinessSeverity.Warning)
            .Message.Should().Contain("Certificate:Password");
        JsonSerializer.Serialize(report).Should().NotContain(password.Trim()).And.NotContain(JsonEncodedText.Encode(password.Trim()).ToString());
        report.ToString().Should().NotContain(password.Trim());
    }

    [Fact]
    public void CreateFromOptions_CleanPassword_HasNoPasswordFinding()
    {
        var report = ClientCertificateReadinessReport.CreateFromOptions(Client, Pfx(fixture.WriteClientPfx()));

        report.Findings.Should().NotContain(f => f.Code == ClientCertificateReadinessCode.PasswordHasSurroundingWhitespace);
    }

    [Fact]
    public void CreateFromOptions_NoSource_ThrowsNoCertificateConfigured()
    {
        var act = () => ClientCertificateReadinessReport.CreateFromOptions(Client, new ClientCertHttpOptions());

        act.Should().Throw<ClientCertificateException>().Which.Reason.Should().Be(ClientCertificateFailureReason.NoCertificateConfigured);
    }

    [Fact]
    public void CreateFromOptions_WrongPassword_ThrowsTheLoadErrorWithoutThePassword()
    {
        var options = Pfx(fixture.WriteClientPfx());
        options.Certificate.Password = "not-the-password-71d";

        var act = () => ClientCertificateReadinessReport.CreateFromOptions(Client, options);

        act.Should().Throw<ClientCertificateException>().Which.Message.Should().NotContain("not-the-password-71d");
    }

    [Fact]
    public async Task Startup_WrongPasswordWithTrailingNewline_SaysSoWithoutThePassword()
    {
        var path = fixture.WriteClientPfx();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services => services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = ClientCertFixture.Password + "-x\n";
        }));

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        ex.Message.Should().Contain("line break").And.NotContain(ClientCertFixture.Password);
    }

    [Fact]
    public void Create_CertificateWithoutKey_ReportsAndSerializesAsPlainJson()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=json-client");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        using var intermediate = ClientCertFixture.PublicOnly(fixture.Ca.Intermediate);

        var report = ClientCertificateReadinessReport.Create(publicLeaf, [intermediate]);
        var json = JsonSerializer.Serialize(report);
        using var document = JsonDocument.Parse(json);

        report.ClientName.Should().BeNull();
        report.SentChain.Select(c => c.Subject).Should().Equal("CN=json-client", fixture.Ca.Intermediate.Subject);
        document.RootElement.GetProperty("Certificate").GetProperty("Thumbprint").GetString().Should().Be(leaf.Thumbprint);
        document.RootElement.GetProperty("SentChain").GetArrayLength().Should().Be(2);
        document.RootElement.GetProperty("ChainStatus").GetInt32().Should().Be((int)ClientCertificateChainStatus.EndsAtIntermediate);
    }

    [Fact]
    public async Task Host_Startup_LogsTheReportOnceAtInformationWithoutThePassword_AndServesIt()
    {
        var path = fixture.WriteClientPfx(configure: o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(3));
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Certificate.Path = path;
                o.Certificate.Password = ClientCertFixture.Password;
            });
        });
        await host.StartAsync();

        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();
        var report = diagnostics.GetReadinessReport(Client);
        var logs = host.Services.GetFakeLogCollector().GetSnapshot();

        report.Source.Should().Contain(path);
        diagnostics.GetReadinessReports().Should().ContainSingle().Which.Should().BeSameAs(report);
        var line = logs.Should().ContainSingle(r => r.Id.Name == "ClientCertificateReadiness").Subject;
        line.Level.Should().Be(LogLevel.Information);
        line.Id.Id.Should().Be(60);
        line.Message.Should().Contain($"'{Client}'").And.Contain(report.Certificate.Thumbprint).And.Contain(path)
            .And.Contain("ReadyWithWarnings").And.Contain(fixture.Ca.Intermediate.Subject);
        var finding = logs.Should().ContainSingle(r => r.Id.Name == "ClientCertificateReadinessFinding").Subject;
        finding.Level.Should().Be(LogLevel.Information);
        finding.Message.Should().Contain(nameof(ClientCertificateReadinessCode.ExpiresSoon));
        logs.Should().NotContain(r => r.Message.Contains(ClientCertFixture.Password, StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task Host_Rotation_MakesAndLogsANewReport()
    {
        var path = NewPath();
        using (var first = fixture.Ca.IssueClientCertificate("CN=before-rotation"))
        {
            fixture.Ca.WritePfx(path, first, ClientCertFixture.Password);
        }

        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient(Client, o =>
            {
                o.Certificate.Path = path;
                o.Certificate.Password = ClientCertFixture.Password;
                o.Reload.Enabled = false;
            });
        });
        await host.StartAsync();
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();
        diagnostics.GetReadinessReport(Client).Certificate.Subject.Should().Be("CN=before-rotation");

        using (var second = fixture.Ca.IssueClientCertificate("CN=after-rotation"))
        {
            fixture.Ca.WritePfx(path, second, ClientCertFixture.Password);
        }

        (await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(Client)).Changed.Should().BeTrue();
        await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(Client);

        diagnostics.GetReadinessReport(Client).Certificate.Subject.Should().Be("CN=after-rotation");
        host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Name == "ClientCertificateReadiness")
            .Select(r => r.Message.Contains("CN=after-rotation", StringComparison.Ordinal))
            .Should().Equal([false, true], "one report per loaded certificate: none for the reload that found the same one");
        await host.StopAsync();
    }

    [Fact]
    public void GetReadinessReport_UnknownClient_ThrowsArgumentException()
    {
        var services = new ServiceCollection();
        services.AddClientCertHttpClient(Client, o => o.Certificate.Path = "unused.pfx");
        services.AddClientCertHttpClient("second", o => o.Certificate.Path = "unused.pfx");
        using var provider = services.BuildServiceProvider();

        var diagnostics = provider.GetRequiredService<IClientCertificateDiagnostics>();
        var act = () => diagnostics.GetReadinessReport("other");

        act.Should().Throw<ArgumentException>().WithParameterName("clientName");
        services.Count(d => d.ServiceType == typeof(IClientCertificateDiagnostics)).Should().Be(1, "registration is idempotent");
    }

    [Fact]
    public void GetReadinessReport_NotStartedHost_LoadsTheCertificate()
    {
        var path = fixture.WriteClientPfx();
        var services = new ServiceCollection();
        services.AddClientCertHttpClient(Client, o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = ClientCertFixture.Password;
            o.ExpiryWarningWindow = TimeSpan.FromDays(1);
        });
        using var provider = services.BuildServiceProvider();

        var report = provider.GetRequiredService<IClientCertificateDiagnostics>().GetReadinessReport(Client);

        report.Source.Should().Contain(path);
        report.Status.Should().Be(ClientCertificateReadinessStatus.Ready);
    }

    private static ClientCertificateReadinessFinding Single(ClientCertificateReadinessReport report, ClientCertificateReadinessCode code, ClientCertificateReadinessSeverity severity)
    {
        var finding = report.Findings.Should().ContainSingle(f => f.Code == code).Subject;
        finding.Severity.Should().Be(severity);
        return finding;
    }

    private static ClientCertHttpOptions Pfx(string path)
    {
        var options = new ClientCertHttpOptions();
        options.Certificate.Path = path;
        options.Certificate.Password = ClientCertFixture.Password;

        // Test certificates live 30 days, the default window: a shorter window keeps "expires soon" out of the way.
        options.ExpiryWarningWindow = TimeSpan.FromDays(1);
        return options;
    }

    private string NewPath() => fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
}
