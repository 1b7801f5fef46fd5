using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests.Certificates;

/// <summary>
/// Secrets that never sit in a JSON file, against the real Kestrel server that trusts only the root: a password read
/// from a file (Certificate:PasswordFile), a password from Microsoft.Extensions.Configuration.KeyPerFile, and the
/// Kubernetes Pod Certificates credential bundle (Certificate:CredentialBundlePath), each loaded and rotated on disk.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class SecretFileTests(MtlsFixture fixture)
{
    private const string Client = "payments";
    private const string FirstPassword = "Password-File-1-8e2f";
    private const string SecondPassword = "Password-File-2-4c7a";

    public static TheoryData<TestKeyAlgorithm> Algorithms => [TestKeyAlgorithm.Rsa, TestKeyAlgorithm.Ecdsa];

    [Fact]
    public async Task PasswordFile_Pfx_ServerSeesLeafAndIntermediate()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=password-file-client");
        var pfx = fixture.Ca.WritePfx(NewPath(".pfx"), leaf, FirstPassword);
        var passwordFile = WriteAtomically(NewPath(".password"), FirstPassword);

        using var host = await StartHostAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });
        var report = await WhoAmIAsync(host);

        ShouldHaveSent(report, leaf);
        await host.StopAsync();
    }

    [Fact]
    public async Task PasswordFile_WrongPassword_FailsAtStartupNamingThePathNotThePassword()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=password-file-wrong");
        var pfx = fixture.Ca.WritePfx(NewPath(".pfx"), leaf, FirstPassword);
        var passwordFile = WriteAtomically(NewPath(".password"), SecondPassword);

        var ex = await StartupFailureAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        ex.ClientName.Should().Be(Client);
        ex.Message.Should().Contain(passwordFile).And.Contain("Certificate:PasswordFile").And.Contain(pfx);
        ex.ToString().Should().NotContain(SecondPassword).And.NotContain(FirstPassword);
    }

    [Fact]
    public async Task PasswordFile_Missing_FailsAtStartupNamingThePath()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=password-file-missing");
        var pfx = fixture.Ca.WritePfx(NewPath(".pfx"), leaf, FirstPassword);
        var passwordFile = NewPath(".password");

        var ex = await StartupFailureAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        ex.CertificateSource.Should().Be(passwordFile);
        ex.Message.Should().Contain(passwordFile).And.Contain("Certificate:PasswordFile");
    }

    [Fact]
    public async Task PfxAndPasswordFileReplacedOneAfterTheOther_ServerSeesTheNewCertificate_AndNoRequestFails()
    {
        using var firstLeaf = fixture.Ca.IssueClientCertificate("CN=password-rotation-1");
        using var secondLeaf = fixture.Ca.IssueClientCertificate("CN=password-rotation-2");
        var pfx = fixture.Ca.WritePfx(NewPath(".pfx"), firstLeaf, FirstPassword);
        var passwordFile = WriteAtomically(NewPath(".password"), FirstPassword);
        using var host = await StartHostAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.PasswordFile = passwordFile;
        });
        (await WhoAmIAsync(host)).Thumbprint.Should().Be(firstLeaf.Thumbprint);
        using var reloads = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ClientCertHttpMetrics.MeterName, ClientCertHttpMetrics.Reloads);

        await using var requests = RequestsDuringRotation.Start(() => WhoAmIAsync(host));

        // The new PFX lands first and stays alone for several polls: the reload that tries it with the old password
        // fails and keeps the old certificate; the new password file then completes the pair.
        File.Move(fixture.Ca.WritePfx(NewPath(".tmp"), secondLeaf, SecondPassword), pfx, overwrite: true);
        await reloads.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        reloads.GetMeasurementSnapshot().Should().OnlyContain(m => m.Tags[ClientCertHttpMetrics.ResultTag] as string == ClientCertHttpMetricValues.Failure);
        (await WhoAmIAsync(host)).Thumbprint.Should().Be(firstLeaf.Thumbprint, "a PFX the current password cannot open is never used");
        WriteAtomically(passwordFile, SecondPassword);
        var seen = await RenewedPfxFile.WaitForThumbprintAsync(() => WhoAmIAsync(host), secondLeaf.Thumbprint);
        await requests.StopAsync();

        seen.Should().NotBeNull("the new PFX and password must be picked up together");
        seen!.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
        requests.Failures.Should().BeEmpty();
        requests.Count.Should().BePositive();
        requests.Thumbprints.Should().BeSubsetOf([firstLeaf.Thumbprint, secondLeaf.Thumbprint]);
        reloads.GetMeasurementSnapshot().Should().Contain(m => m.Tags[ClientCertHttpMetrics.ResultTag] as string == ClientCertHttpMetricValues.Changed);
        await host.StopAsync();
    }

    [Fact]
    public async Task KeyPerFile_PasswordFromAFileNamedAfterTheKey_ClientWorks()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=key-per-file-client");
        var pfx = fixture.Ca.WritePfx(NewPath(".pfx"), leaf, FirstPassword);

        // A secret mounted as a folder: one file per configuration key, "__" for ":". Written with the trailing
        // newline echo leaves; KeyPerFile removes one trailing newline from each value.
        var secrets = Directory.CreateDirectory(NewPath("-secrets")).FullName;
        await File.WriteAllTextAsync(Path.Combine(secrets, "Clients__payments__Certificate__Password"), FirstPassword + "\n");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Clients:payments:BaseAddress"] = fixture.Server.BaseAddress.ToString(),
                ["Clients:payments:Certificate:Path"] = pfx,
                ["Clients:payments:ServerTrust:Mode"] = "CustomRoots",
                ["Clients:payments:ServerTrust:RootCertificatesPath"] = fixture.RootPemPath,
            })
            .AddKeyPerFile(secrets, optional: false)
            .Build();

        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient(Client, configuration.GetSection("Clients:payments")));
        var report = await WhoAmIAsync(host);

        configuration["Clients:payments:Certificate:Password"].Should().Be(FirstPassword);
        ShouldHaveSent(report, leaf);
        await host.StopAsync();
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task CredentialBundle_ProjectedVolume_ServerSeesLeafAndIntermediate(TestKeyAlgorithm algorithm)
    {
        using var leaf = fixture.Ca.IssueClientCertificate($"CN=pod-certificate-{algorithm}", o => o.KeyAlgorithm = algorithm);
        var bundle = fixture.Ca.WriteKubernetesCredentialBundle(NewPath("-podcert"), leaf);

        using var host = await StartHostAsync(o => o.Certificate.CredentialBundlePath = bundle);
        var report = await WhoAmIAsync(host);

        ShouldHaveSent(report, leaf);
        await host.StopAsync();
    }

    [Fact]
    public async Task CredentialBundleSwappedByTheKubelet_ServerSeesTheNewCertificate_AndNoRequestFails()
    {
        var volume = NewPath("-podcert");
        using var firstLeaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate-1");
        using var secondLeaf = fixture.Ca.IssueClientCertificate("CN=pod-certificate-2");
        var bundle = fixture.Ca.WriteKubernetesCredentialBundle(volume, firstLeaf);
        using var host = await StartHostAsync(o => o.Certificate.CredentialBundlePath = bundle);
        (await WhoAmIAsync(host)).Thumbprint.Should().Be(firstLeaf.Thumbprint);
        var firstData = new FileInfo(Path.Combine(volume, "..data")).LinkTarget;

        await using var requests = RequestsDuringRotation.Start(() => WhoAmIAsync(host));
        fixture.Ca.WriteKubernetesCredentialBundle(volume, secondLeaf);
        var seen = await RenewedPfxFile.WaitForThumbprintAsync(() => WhoAmIAsync(host), secondLeaf.Thumbprint);
        await requests.StopAsync();

        new FileInfo(Path.Combine(volume, "..data")).LinkTarget.Should().NotBe(firstData, "the rotation swapped the ..data link");
        seen.Should().NotBeNull("the kubelet-style ..data swap must be picked up within the bound");
        seen!.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
        requests.Failures.Should().BeEmpty();
        requests.Count.Should().BePositive();
        requests.Thumbprints.Should().BeSubsetOf([firstLeaf.Thumbprint, secondLeaf.Thumbprint]);
        await host.StopAsync();
    }

    private string NewPath(string suffix) => fixture.Temp.Combine(Guid.NewGuid().ToString("N") + suffix);

    /// <summary>Writes beside the target and moves it over, as a secret or deployment tool replaces a file.</summary>
    private string WriteAtomically(string path, string content)
    {
        var staging = NewPath(".tmp");
        File.WriteAllText(staging, content);
        File.Move(staging, path, overwrite: true);
        return path;
    }

    private void Configure(ClientCertHttpOptions o, Action<ClientCertHttpOptions> certificate)
    {
        fixture.Configure(o);
        o.Certificate = new ClientCertificateOptions();
        o.Reload.PollInterval = TimeSpan.FromMilliseconds(200);
        certificate(o);
    }

    private Task<IHost> StartHostAsync(Action<ClientCertHttpOptions> certificate) =>
        MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient(Client, o => Configure(o, certificate))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan));

    private async Task<ClientCertificateException> StartupFailureAsync(Action<ClientCertHttpOptions> certificate)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddClientCertHttpClient(Client, o => Configure(o, certificate));
        using var host = builder.Build();
        Func<Task> start = () => host.StartAsync();
        return (await start.Should().ThrowAsync<ClientCertificateException>()).Which;
    }

    private static async Task<MtlsRequestReport> WhoAmIAsync(IHost host)
    {
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
        return await MtlsTestServer.ReadReportAsync(response);
    }

    /// <summary>The server saw <paramref name="leaf"/> and the test CA's intermediate, the chain the client must send.</summary>
    private void ShouldHaveSent(MtlsRequestReport report, X509Certificate2 leaf)
    {
        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
    }
}
