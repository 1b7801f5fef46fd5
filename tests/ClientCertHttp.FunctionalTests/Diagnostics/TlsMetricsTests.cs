using System.Diagnostics.Metrics;
using System.Net;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests.Diagnostics;

/// <summary>
/// The TLS metrics of the <c>ClientCertHttp</c> meter against real handshakes with Kestrel: handshake durations once
/// per connection, server-certificate rejections by reason, client-certificate rejections by TLS alert, and failures
/// by category.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class TlsMetricsTests(MtlsFixture fixture)
{
    private const string ClientName = "metered";

    public static TheoryData<string> HttpVersions => ["1.1", "2.0"];

    [Theory]
    [MemberData(nameof(HttpVersions))]
    public async Task TlsHandshakeDuration_ThreeRequestsOnOneConnection_RecordsOneHandshake(string version)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.Protocols = HttpProtocols.Http1AndHttp2);
        using var host = await StartHostAsync(server);
        using var handshakes = Collect<double>(host, ClientCertHttpMetrics.TlsHandshakeDuration);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        var reports = new List<MtlsRequestReport>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "who") { Version = Version.Parse(version), VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await client.SendAsync(request);
            reports.Add(await MtlsTestServer.ReadReportAsync(response));
        }

        reports.Select(r => r.ConnectionId).Distinct().Should().ContainSingle("the three requests share one connection");
        server.HandshakeCount.Should().Be(1);
        var measurement = handshakes.GetMeasurementSnapshot().Should().ContainSingle("one connection, one handshake, whatever the number of requests").Which;
        measurement.Value.Should().BePositive();
        measurement.Tags[ClientCertHttpMetrics.ClientNameTag].Should().Be(ClientName);
        measurement.Tags[ClientCertHttpMetrics.TlsProtocolVersionTag].Should().Be(reports[0].TlsProtocol == "Tls13" ? "1.3" : "1.2");
    }

    [Fact]
    public async Task TlsHandshakeDuration_TwoConnections_RecordsTwoHandshakes()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.Protocols = HttpProtocols.Http1);
        using var host = await StartHostAsync(server);
        using var handshakes = Collect<double>(host, ClientCertHttpMetrics.TlsHandshakeDuration);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        // "Connection: close" ends the first connection after its response, so the second request opens another.
        var ids = new List<string>();
        foreach (var close in new[] { true, false })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "who");
            request.Headers.ConnectionClose = close;
            using var response = await client.SendAsync(request);
            ids.Add((await MtlsTestServer.ReadReportAsync(response)).ConnectionId);
        }

        ids.Distinct().Should().HaveCount(2);
        server.HandshakeCount.Should().Be(2);
        handshakes.GetMeasurementSnapshot().Should().HaveCount(2, "every handshake of the client's connections is recorded once")
            .And.OnlyContain(m => m.Value > 0 && (string?)m.Tags[ClientCertHttpMetrics.ClientNameTag] == ClientName);
    }

    [Fact]
    public async Task ServerCertificateRejections_ServerNamedForAnotherHost_CountedOnceAsNameMismatch()
    {
        using var certificate = fixture.IssueWrongNameServerCertificate();
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ServerCertificate = certificate);
        using var host = await StartHostAsync(server);
        using var rejections = Collect<long>(host, ClientCertHttpMetrics.ServerCertificateRejections);
        using var failures = Collect<long>(host, ClientCertHttpMetrics.RequestFailures);
        using var handshakes = Collect<double>(host, ClientCertHttpMetrics.TlsHandshakeDuration);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        var act = () => client.GetAsync("who");

        await act.Should().ThrowAsync<ClientCertHttpRequestException>();
        var rejection = rejections.GetMeasurementSnapshot().Should().ContainSingle("the diagnosis's own handshake is not counted again").Which;
        rejection.Tags[ClientCertHttpMetrics.ClientNameTag].Should().Be(ClientName);
        rejection.Tags[ClientCertHttpMetrics.ServerCertificateFailureReasonTag].Should().Be("name_mismatch");
        failures.GetMeasurementSnapshot().Should().ContainSingle()
            .Which.Tags[ClientCertHttpMetrics.FailureCategoryTag].Should().Be("server_certificate_rejected");
        handshakes.GetMeasurementSnapshot().Should().BeEmpty("a failed handshake has no duration here");
    }

    [Fact]
    public async Task ClientCertificateRejections_ServerSendsUnknownCaAlert_CountedWithTheAlert()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectWithTlsAlert = TlsAlert.UnknownCA);
        using var host = await StartHostAsync(server);
        using var rejections = Collect<long>(host, ClientCertHttpMetrics.ClientCertificateRejections);
        using var failures = Collect<long>(host, ClientCertHttpMetrics.RequestFailures);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        var act = () => client.GetAsync("who");

        await act.Should().ThrowAsync<ClientCertHttpRequestException>();
        var rejection = rejections.GetMeasurementSnapshot().Should().ContainSingle().Which;
        rejection.Tags[ClientCertHttpMetrics.ClientNameTag].Should().Be(ClientName);
        rejection.Tags[ClientCertHttpMetrics.TlsAlertTag].Should().Be("unknown_ca");
        failures.GetMeasurementSnapshot().Should().ContainSingle()
            .Which.Tags[ClientCertHttpMetrics.FailureCategoryTag].Should().Be("client_certificate_rejected");
    }

    [Fact]
    public async Task ClientCertificateRejections_ServerAnswers495_CountedWithoutAnAlert()
    {
        using var otherCa = TestCertificateAuthority.Create("Metrics Other Client CA");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.RejectionStatusCode = 495;
            o.TrustedClientRoots = [otherCa.Root];
        });
        using var host = await StartHostAsync(server);
        using var rejections = Collect<long>(host, ClientCertHttpMetrics.ClientCertificateRejections);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        using var response = await client.GetAsync("who");

        response.StatusCode.Should().Be((HttpStatusCode)495);
        rejections.GetMeasurementSnapshot().Should().ContainSingle()
            .Which.Tags[ClientCertHttpMetrics.TlsAlertTag].Should().Be("none");
    }

    private Task<IHost> StartHostAsync(MtlsTestServer server) =>
        MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient(ClientName, o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan));

    private static MetricCollector<T> Collect<T>(IHost host, string instrument)
        where T : struct =>
        new(host.Services.GetRequiredService<IMeterFactory>(), ClientCertHttpMetrics.MeterName, instrument);
}
