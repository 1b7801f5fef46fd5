using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing.Tests;

public sealed class CrlTestServerTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("CRL Tests");

    [Fact]
    public async Task Publish_ThenGet_ServesTheCrlAndCountsRequests()
    {
        await using var crls = await CrlTestServer.StartAsync();
        byte[] crl = _ca.BuildRootCrl();
        crls.Publish("root.crl", crl);
        using var client = new HttpClient();

        byte[] served = await client.GetByteArrayAsync(crls.Url("root.crl"));
        using HttpResponseMessage missing = await client.GetAsync(crls.Url("other.crl"));

        served.Should().Equal(crl);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        crls.RequestCount.Should().Be(2);
    }

    [Fact]
    public async Task BuildIntermediateCrl_ServedAtDistributionPoint_ChainReportsRevoked()
    {
        await using var crls = await CrlTestServer.StartAsync();
        using var ca = TestCertificateAuthority.Create("Revoking", TestKeyAlgorithm.Ecdsa, crls.Url("root.crl"));
        using var revoked = ca.IssueClientCertificate("CN=revoked", o => o.CrlDistributionPoints.Add(crls.Url("intermediate.crl")));
        using var good = ca.IssueClientCertificate("CN=good", o => o.CrlDistributionPoints.Add(crls.Url("intermediate.crl")));
        crls.Publish("root.crl", ca.BuildRootCrl());
        crls.Publish("intermediate.crl", ca.BuildIntermediateCrl(revoked));

        X509ChainStatusFlags Validate(X509Certificate2 leaf)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca.Root);
            chain.ChainPolicy.ExtraStore.Add(ca.Intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.Online;
            chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
            chain.Build(leaf);
            return chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        }

        Validate(revoked).Should().HaveFlag(X509ChainStatusFlags.Revoked);
        Validate(good).Should().Be(X509ChainStatusFlags.NoError);
        crls.RequestCount.Should().BeGreaterThan(0);
    }

    public void Dispose() => _ca.Dispose();
}
