using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests.Trust;

/// <summary>
/// Revocation against CRLs served by a loopback HTTP server. Every test uses a fresh CA and a fresh CRL server (a new
/// port), and HOME is isolated for the assembly (<see cref="IsolatedHome"/>), so the platform's CRL cache never
/// answers for a test.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class RevocationTests(MtlsFixture fixture)
{
    [Fact]
    public async Task OnlineRevocation_ServerListedInTheCrl_IsRejectedAsRevoked()
    {
        await using var crls = await CrlTestServer.StartAsync();
        using var ca = CreateCa(crls);
        using var certificate = IssueWithCrl(ca, crls);
        crls.Publish("intermediate.crl", ca.BuildIntermediateCrl(certificate));

        var ex = await RejectedAsync(ca, certificate, X509RevocationMode.Online);

        ex.Reason.Should().Be(ServerCertificateFailureReason.Revoked);
        crls.RequestCount.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task OnlineRevocation_ServerNotInTheCrl_IsAccepted()
    {
        await using var crls = await CrlTestServer.StartAsync();
        using var ca = CreateCa(crls);
        using var certificate = IssueWithCrl(ca, crls);
        crls.Publish("intermediate.crl", ca.BuildIntermediateCrl());

        await AcceptedAsync(ca, certificate, X509RevocationMode.Online);

        crls.RequestCount.Should().BeGreaterThan(0, "the CRLs were really fetched");
    }

    [Fact]
    public async Task OnlineRevocation_CrlEndpointDoesNotAnswer_IsRejectedAsRevocationUnknownWithinTheTimeout()
    {
        await using var crls = await CrlTestServer.StartAsync();
        crls.Unresponsive = true;
        using var ca = CreateCa(crls);
        using var certificate = IssueWithCrl(ca, crls);

        var stopwatch = Stopwatch.StartNew();
        var ex = await RejectedAsync(ca, certificate, X509RevocationMode.Online, TimeSpan.FromSeconds(1));
        stopwatch.Stop();

        ex.Reason.Should().Be(ServerCertificateFailureReason.RevocationUnknown);
        crls.RequestCount.Should().BeGreaterThan(0);

        // Without RevocationTimeout the platform waits about 15 s per unanswered URL (two here); a generous bound.
        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(12));
    }

    [Fact]
    public async Task OfflineRevocation_NoCachedCrl_IsRejectedAsRevocationUnknownWithoutDownloading()
    {
        await using var crls = await CrlTestServer.StartAsync();
        using var ca = CreateCa(crls);
        using var certificate = IssueWithCrl(ca, crls);
        crls.Publish("intermediate.crl", ca.BuildIntermediateCrl());

        var ex = await RejectedAsync(ca, certificate, X509RevocationMode.Offline);

        ex.Reason.Should().Be(ServerCertificateFailureReason.RevocationUnknown);
        crls.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task DefaultRevocationMode_DoesNotCheck_SoARevokedServerIsAccepted()
    {
        await using var crls = await CrlTestServer.StartAsync();
        using var ca = CreateCa(crls);
        using var certificate = IssueWithCrl(ca, crls);
        crls.Publish("intermediate.crl", ca.BuildIntermediateCrl(certificate));

        await AcceptedAsync(ca, certificate, revocationMode: null);

        crls.RequestCount.Should().Be(0);
    }

    private static TestCertificateAuthority CreateCa(CrlTestServer crls)
    {
        var ca = TestCertificateAuthority.Create("Revocation " + Guid.NewGuid().ToString("N")[..8], TestKeyAlgorithm.Ecdsa, crls.Url("root.crl"));
        crls.Publish("root.crl", ca.BuildRootCrl());
        return ca;
    }

    private static X509Certificate2 IssueWithCrl(TestCertificateAuthority ca, CrlTestServer crls) =>
        ca.IssueServerCertificate(configure: o => o.CrlDistributionPoints = [crls.Url("intermediate.crl")]);

    private Task<MtlsTestServer> StartServerAsync(TestCertificateAuthority ca, X509Certificate2 certificate) =>
        MtlsTestServer.StartAsync(ca, o =>
        {
            o.ServerCertificate = certificate;
            o.TrustedClientRoots = [fixture.Ca.Root];
        });

    private Task<Microsoft.Extensions.Hosting.IHost> StartClientAsync(TestCertificateAuthority ca, MtlsTestServer server, X509RevocationMode? revocationMode, TimeSpan? timeout = null)
    {
        var roots = ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-root.pem"));
        return MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = server.BaseAddress;
            o.ServerTrust.RootCertificatesPath = roots;
            if (revocationMode is { } mode)
            {
                o.ServerTrust.RevocationMode = mode;
            }

            if (timeout is { } t)
            {
                o.ServerTrust.RevocationTimeout = t;
            }
        }));
    }

    private async Task AcceptedAsync(TestCertificateAuthority ca, X509Certificate2 certificate, X509RevocationMode? revocationMode)
    {
        await using var server = await StartServerAsync(ca, certificate);
        using var host = await StartClientAsync(ca, server, revocationMode);

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");
    }

    private async Task<ServerCertificateValidationException> RejectedAsync(TestCertificateAuthority ca, X509Certificate2 certificate, X509RevocationMode mode, TimeSpan? timeout = null)
    {
        await using var server = await StartServerAsync(ca, certificate);
        using var host = await StartClientAsync(ca, server, mode, timeout);

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.ServerThumbprint.Should().Be(certificate.Thumbprint);
        server.Reports.Should().BeEmpty();
        return ex;
    }
}
