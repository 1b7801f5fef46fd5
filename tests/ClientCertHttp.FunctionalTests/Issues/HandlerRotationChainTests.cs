using ClientCertHttp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests.Issues;

/// <summary>
/// Regression tests for dotnet/runtime#52550 and #48806: the intermediate certificates must still be sent after
/// IHttpClientFactory rotates handlers and after SocketsHttpHandler recycles pooled connections.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class HandlerRotationChainTests(MtlsFixture fixture)
{
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Requests_AcrossHandlerAndConnectionRotations_AllPresentTheFullChain(string version)
    {
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("rotating", fixture.Configure)
            .SetHandlerLifetime(TimeSpan.FromSeconds(1))
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromSeconds(1)));
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        var reports = new List<MtlsRequestReport>();

        // Bounded: at most 40 requests over at most ~10 s, stopping once four connections have been seen.
        for (var i = 0; i < 40 && reports.Select(r => r.ConnectionId).Distinct().Count() < 4; i++)
        {
            using var client = factory.CreateClient("rotating");
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative))
            {
                Version = Version.Parse(version),
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(request);
            reports.Add(await MtlsTestServer.ReadReportAsync(response));
            await Task.Delay(250);
        }

        reports.Select(r => r.ConnectionId).Distinct().Should().HaveCountGreaterThanOrEqualTo(4, "the handler and its connections were rotated several times");
        reports.Should().AllSatisfy(r =>
        {
            r.Thumbprint.Should().Be(fixture.ClientThumbprint);
            r.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
        });
        await host.StopAsync();
    }
}
