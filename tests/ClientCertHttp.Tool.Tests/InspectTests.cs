using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tool.Tests;

/// <summary><c>clientcert inspect</c> on real files, folders and stores: the library's readiness report and its errors.</summary>
[Collection(ToolGroup.Name)]
public sealed class InspectTests(ToolFixture fixture)
{
    [Fact]
    public async Task Inspect_PfxValidForAYear_ExitsZeroWithTheChainAsSent()
    {
        var run = await InspectAsync(fixture.ClientPfxPath, "--password-env", ToolFixture.PasswordVariable);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Certificate:  CN=tool-client")
            .And.Contain($"thumbprint: {fixture.ClientThumbprint}")
            .And.Contain("key:        ECDSA 256")
            .And.Contain("Chain sent in the handshake (2):")
            .And.Contain($"2. {fixture.Ca.Intermediate.Subject}")
            .And.Contain("No findings.")
            .And.Contain("Result: Ready (exit code 0)");
    }

    [Fact]
    public async Task Inspect_PfxExpiringSoon_ExitsOneWithAnExpiresSoonWarning()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=expiring-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(10));
        var pfx = fixture.Ca.WritePfx(fixture.Temp.Combine("expiring.pfx"), leaf, ToolFixture.Password);

        var run = await InspectAsync(pfx, "--password-env", ToolFixture.PasswordVariable, "--json");

        run.ExitCode.Should().Be(1, run.ToString());
        var json = run.Json();
        json.GetProperty("status").GetString().Should().Be("ReadyWithWarnings");
        json.GetProperty("findings").EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("code").GetString().Should().Be("ExpiresSoon");
    }

    [Fact]
    public async Task Inspect_ExpiredCertificate_ExitsTwoWithAnExpiredFinding()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=expired-client", o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(-30);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
        });
        var pfx = fixture.Ca.WritePfx(fixture.Temp.Combine("expired.pfx"), leaf, ToolFixture.Password);

        var run = await InspectAsync(pfx, "--password-env", ToolFixture.PasswordVariable);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("error Expired:").And.Contain("Result: NotReady (exit code 2)");
    }

    [Fact]
    public async Task Inspect_PemWithSeparateKeyAndChain_ReportsTheChainInJson()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pem-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(200));
        var certificate = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine("pem", "client.crt"), leaf);
        var key = TestCertificateAuthority.WritePrivateKeyPem(fixture.Temp.Combine("pem", "client.key"), leaf);
        var chain = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine("pem", "chain.pem"), fixture.Ca.Intermediate);

        var run = await InspectAsync(certificate, "--key", key, "--chain", chain, "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        var json = run.Json();
        json.GetProperty("status").GetString().Should().Be("Ready");
        json.GetProperty("source").GetString().Should().Contain("client.crt");
        json.GetProperty("sentChain").EnumerateArray().Select(e => e.GetProperty("subject").GetString())
            .Should().Equal("CN=pem-client", fixture.Ca.Intermediate.Subject);
        json.GetProperty("usageVerdict").GetString().Should().Be("ClientAuthentication");
    }

    [Fact]
    public async Task Inspect_PemWithEncryptedKeyInTheSameFile_TakesThePasswordFromTheEnvironment()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=encrypted-pem-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(200));
        var path = fixture.Temp.Combine("pem", "bundle.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, TestCertificateAuthority.ExportCertificatePem(leaf, fixture.Ca.Intermediate) + TestCertificateAuthority.ExportPrivateKeyPem(leaf, ToolFixture.Password));

        var run = await InspectAsync(path, "--password-env", ToolFixture.PasswordVariable);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Certificate:  CN=encrypted-pem-client").And.Contain("Chain sent in the handshake (2):");
    }

    [Fact]
    public async Task Inspect_PasswordWithTrailingNewline_WarnsWithoutPrintingIt()
    {
        const string PasswordWithNewline = "Tool-Newline-Pfx-40d3\n";
        using var leaf = fixture.Ca.IssueClientCertificate("CN=newline-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(200));
        var pfx = fixture.Ca.WritePfx(fixture.Temp.Combine("newline.pfx"), leaf, PasswordWithNewline);

        var run = await ClientCertTool.RunAsync(
            ["inspect", pfx, "--password-env", ToolFixture.PasswordVariable, "--json"],
            new Dictionary<string, string> { [ToolFixture.PasswordVariable] = PasswordWithNewline });

        run.ExitCode.Should().Be(1, run.ToString());
        run.Json().GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString())
            .Should().Contain("PasswordHasSurroundingWhitespace");
        run.Output.Should().NotContain("Tool-Newline-Pfx-40d3");
    }

    [Fact]
    public async Task Inspect_KubernetesSecretFolder_LoadsTlsCrtAndTlsKey()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=k8s-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(90));
        var folder = fixture.Temp.Combine("k8s-secret");
        KubernetesTlsSecret.Write(folder, TestCertificateAuthority.ExportCertificatePem(leaf, fixture.Ca.Intermediate), TestCertificateAuthority.ExportPrivateKeyPem(leaf));

        var run = await InspectAsync(folder);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Certificate:  CN=k8s-client").And.Contain("Kubernetes").And.Contain("Chain sent in the handshake (2):");
    }

    [Fact]
    public async Task Inspect_PodCertificatesCredentialBundle_LoadsTheKeyFirstBundleAsTheLibraryDoes()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pod-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(90));
        var bundle = fixture.Ca.WriteKubernetesCredentialBundle(fixture.Temp.Combine("podcert"), leaf);

        var run = await InspectAsync(bundle);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Certificate:  CN=pod-client").And.Contain("credential bundle").And.Contain("Chain sent in the handshake (2):");
    }

    [Fact]
    public async Task Inspect_PasswordFile_OpensThePfxWithTheFileContentWithoutPrintingIt()
    {
        var passwordFile = fixture.Temp.Combine("pfx.password");
        await File.WriteAllTextAsync(passwordFile, ToolFixture.Password);

        var run = await InspectAsync(fixture.ClientPfxPath, "--password-file", passwordFile);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Certificate:  CN=tool-client").And.NotContain(ToolFixture.Password);
    }

    [Fact]
    public async Task Inspect_StoreQuery_FindsTheCertificateByThumbprint()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=store-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(120));
        using var persisted = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.PersistKeySet);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        using var intermediates = new X509Store(StoreName.CertificateAuthority, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        intermediates.Open(OpenFlags.ReadWrite);
        store.Add(persisted);
        intermediates.Add(fixture.Ca.Intermediate);
        try
        {
            var run = await InspectAsync($"store:My/CurrentUser/{leaf.Thumbprint}", "--json");

            run.ExitCode.Should().Be(0, run.ToString());
            var json = run.Json();
            json.GetProperty("certificate").GetProperty("thumbprint").GetString().Should().Be(leaf.Thumbprint);
            json.GetProperty("source").GetString().Should().Contain("CurrentUser");
            json.GetProperty("sentChain").GetArrayLength().Should().Be(2, "the intermediate comes from the CurrentUser CA store");
        }
        finally
        {
            store.Remove(persisted);
            intermediates.Remove(fixture.Ca.Intermediate);
        }
    }

    [Fact]
    public async Task Inspect_WrongPasswordFromEnvironment_ExitsTwoWithWrongPassword()
    {
        var run = await ClientCertTool.RunAsync(
            ["inspect", fixture.ClientPfxPath, "--password-env", ToolFixture.PasswordVariable, "--json"],
            new Dictionary<string, string> { [ToolFixture.PasswordVariable] = "Wr0ng-Secret-991" });

        run.ExitCode.Should().Be(2, run.ToString());
        var json = run.Json();
        json.GetProperty("status").GetString().Should().Be("Error");
        json.GetProperty("reason").GetString().Should().Be("WrongPassword");
        run.Output.Should().NotContain("Wr0ng-Secret-991");
        run.Error.Should().NotContain("Wr0ng-Secret-991");
    }

    [Fact]
    public async Task Inspect_NoPasswordAndNoTerminal_ExitsTwoInsteadOfPrompting()
    {
        var run = await InspectAsync(fixture.ClientPfxPath);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("no password is configured").And.Contain("--password-env");
    }

    [Fact]
    public async Task Inspect_PasswordVariableNotSet_ExitsTwo()
    {
        var run = await InspectAsync(fixture.ClientPfxPath, "--password-env", "CLIENTCERT_TOOL_TEST_UNSET_VARIABLE");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("'CLIENTCERT_TOOL_TEST_UNSET_VARIABLE' (--password-env) is not set");
    }

    [Fact]
    public async Task Inspect_MissingFile_ExitsTwoWithFileNotFound()
    {
        var missing = fixture.Temp.Combine("does-not-exist.pfx");

        var run = await InspectAsync(missing, "--json");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Json().GetProperty("reason").GetString().Should().Be("FileNotFound");
        run.Error.Should().Contain(missing);
    }

    private static Task<ToolRun> InspectAsync(params string[] arguments) =>
        ClientCertTool.RunAsync(["inspect", .. arguments], ToolFixture.PasswordEnvironment);
}
