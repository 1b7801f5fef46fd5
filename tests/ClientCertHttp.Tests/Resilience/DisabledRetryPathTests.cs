using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace ClientCertHttp.Tests.Resilience;

/// <summary>
/// With retries off, a request skips the (empty) retry pipeline entirely: no resilience context is rented or attached
/// to it, which is what keeps the library's per-request cost at zero. With retries on, a request's first attempt is sent
/// past the pipeline too (issue 18): only a failed attempt makes the request enter the pipeline, whose retry then
/// carries a resilience context.
/// </summary>
public sealed class DisabledRetryPathTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData(false, new[] { false, false }, new[] { HttpStatusCode.ServiceUnavailable, HttpStatusCode.NoContent })]
    [InlineData(true, new[] { false, true, false }, new[] { HttpStatusCode.NoContent, HttpStatusCode.NoContent })]
    public async Task SendAsync_RetryEnabledOrNot_EntersThePipelineOnlyAfterAFailedAttempt(bool retryEnabled, bool[] expectContext, HttpStatusCode[] expectStatus)
    {
        var seen = new List<bool>();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = fixture.WriteClientPfx();
                o.Certificate.Password = ClientCertFixture.Password;
                o.Retry.Enabled = retryEnabled;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            })
            .AddHttpMessageHandler(() => new Recorder(seen)));
        await host.StartAsync();
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(new Uri("https://payments.invalid/"));
            statuses.Add(response.StatusCode);
        }

        statuses.Should().Equal(expectStatus, "the recorder answers 503 once, then 204");
        seen.Should().Equal(expectContext);
        await host.StopAsync();
    }

    /// <summary>Below the retry pipeline: records whether the request carries a resilience context, and answers it (503 the first time).</summary>
    private sealed class Recorder(List<bool> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.GetResilienceContext() is not null);
            var status = seen.Count == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NoContent;
            return Task.FromResult(new HttpResponseMessage(status) { RequestMessage = request });
        }
    }
}
