using ClientCertHttp.Diagnostics;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>
/// Every certificate that is sent must be valid (issue 14, item 2): a valid leaf under an expired intermediate used to
/// pass startup, and the readiness report said Ready with no finding, while every server rejects the chain.
/// </summary>
public sealed class SentChainValidityTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task AddClientCertHttpClient_ValidLeafUnderAnExpiredIntermediate_FailsAtStartupNamingTheIntermediate()
    {
        using var chain = ExpiredIntermediateChain.Create(DateTimeOffset.UtcNow);
        var path = chain.WritePfx(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), ClientCertFixture.Password);

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = path;
            o.Certificate.Password = ClientCertFixture.Password;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.Expired);
        ex.Message.Should().Contain("intermediate certificate").And.Contain(ExpiredIntermediateChain.IntermediateSubject).And.Contain("expired on");
        SourceTestHost.AssertNamesClientAndSource(ex, path, ClientCertFixture.Password);
    }

    [Fact]
    public void ReadinessReport_ValidLeafUnderAnExpiredIntermediate_IsNotReadyWithAFindingNamingIt()
    {
        using var chain = ExpiredIntermediateChain.Create(DateTimeOffset.UtcNow);

        var report = ClientCertificateReadinessReport.Create(chain.Leaf, [chain.ExpiredIntermediate]);

        report.Status.Should().Be(ClientCertificateReadinessStatus.NotReady);
        report.Findings.Should().ContainSingle(f => f.Code == ClientCertificateReadinessCode.IntermediateExpired)
            .Which.Message.Should().Contain(ExpiredIntermediateChain.IntermediateSubject);
    }
}
