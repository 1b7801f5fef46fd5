using System.Text;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>Certificate:PasswordFile: the password read from a file at every load, with the rules of Certificate:Password.</summary>
public sealed class PasswordFileTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string KeyPassword = "Pem-Key-File-Pa55-6b0";

    [Fact]
    public async Task PasswordFile_Pfx_LoadsWithThePasswordFromTheFile()
    {
        var pfx = fixture.WriteClientPfx();
        var passwordFile = WritePasswordFile(ClientCertFixture.Password);

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        report.Subject.Should().Be("CN=unit-client");
        report.Logs.Should().NotContain(m => m.Contains(ClientCertFixture.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PasswordFile_EncryptedPemKey_LoadsWithThePasswordFromTheFile()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pem-password-file");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var id = Guid.NewGuid().ToString("N");
        var certificate = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), publicLeaf, fixture.Ca.Intermediate);
        var key = TestCertificateAuthority.WritePrivateKeyPem(fixture.Temp.Combine(id + ".key"), leaf, KeyPassword);

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Path = certificate;
            o.Certificate.KeyPath = key;
            o.Certificate.PasswordFile = WritePasswordFile(KeyPassword);
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    [Fact]
    public async Task PasswordFile_InlinePkcs12_OpensTheValueWithThePasswordFromTheFile()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=inline-password-file");
        var base64 = Convert.ToBase64String(fixture.Ca.ExportPfx(leaf, ClientCertFixture.Password));

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Base64 = base64;
            o.Certificate.PasswordFile = WritePasswordFile(ClientCertFixture.Password);
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    [Fact]
    public async Task PasswordFile_SecretFolderWithEncryptedKey_OpensTheKeyWithThePasswordFromTheFile()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=folder-password-file");
        var folder = fixture.Temp.Combine("secret-" + Guid.NewGuid().ToString("N"));
        KubernetesTlsSecret.Write(folder, TestCertificateAuthority.ExportCertificatePem(leaf, fixture.Ca.Intermediate), TestCertificateAuthority.ExportPrivateKeyPem(leaf, KeyPassword));

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Directory = folder;
            o.Certificate.PasswordFile = WritePasswordFile(KeyPassword);
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
    }

    [Fact]
    public async Task PasswordFile_WithByteOrderMark_TheMarkIsNotPartOfThePassword()
    {
        var pfx = fixture.WriteClientPfx();
        var passwordFile = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".password");
        await File.WriteAllTextAsync(passwordFile, ClientCertFixture.Password, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        report.Subject.Should().Be("CN=unit-client");
    }

    [Fact]
    public async Task PasswordFile_TrailingNewlineNotInThePassword_FailsAsWrongPasswordNamingTheFileAndTheNewline()
    {
        var pfx = fixture.WriteClientPfx();
        var passwordFile = WritePasswordFile(ClientCertFixture.Password + "\n");

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        // Used as written, exactly as Certificate:Password is: the newline is named, not silently removed.
        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        ex.Message.Should().Contain("Certificate:PasswordFile").And.Contain("line break");
        SourceTestHost.AssertNamesClientAndSource(ex, passwordFile, ClientCertFixture.Password);
    }

    [Fact]
    public async Task PasswordFile_PasswordThatEndsWithANewline_LoadsAndTheReadinessReportWarnsNamingTheFile()
    {
        const string PasswordWithNewline = "Pfx-Newline-Pa55-2d9\n";
        var pfx = fixture.WriteClientPfx(password: PasswordWithNewline);
        var passwordFile = WritePasswordFile(PasswordWithNewline);
        using var host = ClientCertFixture.BuildHost(services => services.AddClientCertHttpClient(SourceTestHost.Client, o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        }));
        await host.StartAsync();

        var report = host.Services.GetRequiredService<IClientCertificateDiagnostics>().GetReadinessReport(SourceTestHost.Client);

        var finding = report.Findings.Should().ContainSingle(f => f.Code == ClientCertificateReadinessCode.PasswordHasSurroundingWhitespace).Subject;
        finding.Severity.Should().Be(ClientCertificateReadinessSeverity.Warning);
        finding.Message.Should().Contain(passwordFile).And.Contain("Certificate:PasswordFile").And.NotContain(PasswordWithNewline.Trim());
        await host.StopAsync();
    }

    [Fact]
    public async Task PasswordFile_Missing_FailsAsFileNotFoundNamingThePath()
    {
        var pfx = fixture.WriteClientPfx();
        var passwordFile = fixture.Temp.Combine("no-such-password");

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        ex.Message.Should().Contain("Certificate:PasswordFile");
        SourceTestHost.AssertNamesClientAndSource(ex, passwordFile);
    }

    [Fact]
    public async Task PasswordFile_NotUtf8_FailsAsInvalidFormatNamingThePath()
    {
        var pfx = fixture.WriteClientPfx();
        var passwordFile = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".password");
        await File.WriteAllBytesAsync(passwordFile, [0x70, 0xC3, 0x28, 0x77]);

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        SourceTestHost.AssertNamesClientAndSource(ex, passwordFile);
    }

    [Fact]
    public async Task PasswordFile_AndPassword_FailsAtStartupNamingBothKeysOnce()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClientCertHttp:Clients:payments:Certificate:Path"] = pfx,
            ["ClientCertHttp:Clients:payments:Certificate:Password"] = ClientCertFixture.Password,
            ["ClientCertHttp:Clients:payments:Certificate:PasswordFile"] = WritePasswordFile(ClientCertFixture.Password),
        }).Build();

        var ex = await ClientCertFixture.StartupCertificateFailureAsync(services =>
            services.AddClientCertHttpClient(SourceTestHost.Client, configuration.GetSection("ClientCertHttp:Clients:payments")));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("ClientCertHttp:Clients:payments:Certificate:Password and ClientCertHttp:Clients:payments:Certificate:PasswordFile");
        ex.Message.Split("are set").Should().HaveCount(2, "the conflict is reported once, and no load is tried with it");
        SourceTestHost.AssertNamesClientAndSource(ex, "Certificate:PasswordFile", ClientCertFixture.Password);
    }

    [Fact]
    public async Task PasswordFile_FromConfiguration_IsAKnownKey()
    {
        var pfx = fixture.WriteClientPfx();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Clients:payments:Certificate:Path"] = pfx,
            ["Clients:payments:Certificate:PasswordFile"] = WritePasswordFile(ClientCertFixture.Password),
        }).Build();
        using var host = ClientCertFixture.BuildHost(services =>
            services.AddClientCertHttpClient(SourceTestHost.Client, configuration.GetSection("Clients:payments")));

        await host.StartAsync();

        host.Services.GetRequiredService<IClientCertificateDiagnostics>().GetReadinessReport(SourceTestHost.Client).Certificate.Subject.Should().Be("CN=unit-client");
        await host.StopAsync();
    }

    private string WritePasswordFile(string content)
    {
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".password");
        File.WriteAllText(path, content);
        return path;
    }
}
