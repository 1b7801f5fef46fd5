using System.Net;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests.Resilience;

/// <summary>
/// The documented alternative: our pipeline off, AddStandardResilienceHandler on, with HttpFailureClassifier as its
/// predicates.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class StandardResilienceHandlerTests(MtlsFixture fixture)
{
    private static readonly Uri WhoAmI = new("whoami", UriKind.Relative);

    [Fact]
    public async Task StandardHandlerWithClassifier_ConnectionResetTwice_IsRetriedUntilServed()
    {
        var calls = 0;
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = context =>
        {
            if (Interlocked.Increment(ref calls) <= 2)
            {
                context.Abort();
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        });
        using var host = await StartClientAsync(server);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        using var response = await client.GetAsync(WhoAmI);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Reports.Should().HaveCount(3);
    }

    [Fact]
    public async Task StandardHandlerWithClassifier_PostServiceUnavailable_IsNotRetried()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.FromResult(true);
        });
        using var host = await StartClientAsync(server);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        using var content = new StringContent("{}");

        using var response = await client.PostAsync(WhoAmI, content);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        server.Reports.Should().ContainSingle();
    }

    [Fact]
    public async Task StandardHandlerWithClassifier_ServerTrustFailure_IsNotRetried()
    {
        using var otherCa = TestCertificateAuthority.Create("Other Server");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);
        using var host = await StartClientAsync(server);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(WhoAmI);

        // With our pipeline off, the platform's exception comes through unchanged.
        (await act.Should().ThrowAsync<HttpRequestException>()).Which.Should().NotBeOfType<ClientCertHttpRequestException>();
        server.TotalConnectionCount.Should().Be(1, "the classifier does not retry a trust failure (the standard predicate alone would retry it)");
    }

    private async Task<Microsoft.Extensions.Hosting.IHost> StartClientAsync(MtlsTestServer server)
        => await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
                o.Retry.Enabled = false;
            })
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.ShouldHandle = HttpFailureClassifier.ShouldRetry;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
                o.Retry.UseJitter = false;
                o.CircuitBreaker.ShouldHandle = args => HttpFailureClassifier.IsTransientAsync(args.Outcome, args.Context.CancellationToken);
            }));
}
