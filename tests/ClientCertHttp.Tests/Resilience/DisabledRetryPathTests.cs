using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace ClientCertHttp.Tests.Resilience;

/// <summary>
/// With retries off, a request skips the (empty) retry pipeline entirely: no resilience context is rented or attached
/// to it, which is what keeps the library's per-request cost at zero. With retries on, the pipeline runs.
/// </summary>
public sealed class DisabledRetryPathTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task SendAsync_RetryEnabledOrNot_RunsThePipelineOnlyWhenEnabled(bool retryEnabled, bool expectContext)
    {
        var seen = new List<bool>();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = fixture.WriteClientPfx();
                o.Certificate.Password = ClientCertFixture.Password;
                o.Retry.Enabled = retryEnabled;
            })
            .AddHttpMessageHandler(() => new Recorder(seen)));
        await host.StartAsync();
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(new Uri("https://payments.invalid/"));
            response.StatusCode.Should().Be(HttpStatusCode.NoContent, "the recorder answers every request");
        }

        seen.Should().Equal(expectContext, expectContext);
        await host.StopAsync();
    }

    /// <summary>Below the retry pipeline: records whether the request carries a resilience context, and answers it.</summary>
    private sealed class Recorder(List<bool> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.GetResilienceContext() is not null);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request });
        }
    }
}
