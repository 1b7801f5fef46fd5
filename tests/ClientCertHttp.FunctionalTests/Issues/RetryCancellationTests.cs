using System.Net;
using ClientCertHttp.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.FunctionalTests.Issues;

/// <summary>
/// Regression test for dotnet/extensions#7741 (issue 16, item 1): with Polly.Core 8.4.2 the retry strategy answers a
/// caller's cancellation that lands on a retryable failure with that failure (here a 503 response) instead of throwing,
/// so a caller who gave up is handed a response as if the request had run its course. Polly.Core 8.5.2 and later throw.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class RetryCancellationTests(MtlsFixture fixture)
{
    [Fact]
    public async Task Get_CallerCancelsAsATransientFailureArrives_ThrowsOperationCanceledAndDoesNotRetry()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.FromResult(true);
        });
        using var caller = new CancellationTokenSource();
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient("cancel", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
                o.Retry.UseJitter = false;
            })

            // Below the retry pipeline: the caller cancels the moment the first 503 is back, before the pipeline decides.
            .AddHttpMessageHandler(() => new CancelOnResponseHandler(caller)));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("cancel");

        // ResponseHeadersRead: nothing after the pipeline looks at the token again, so what it returns is what the caller gets.
        var send = () => client.GetAsync(new Uri("whoami", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, caller.Token);

        (await send.Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(caller.Token);
        server.Reports.Should().ContainSingle("the 503 was not retried once the caller had canceled");
    }

    /// <summary>Cancels the caller's token as soon as a response with a retryable status comes back from the server.</summary>
    private sealed class CancelOnResponseHandler(CancellationTokenSource caller) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await caller.CancelAsync();
            }

            return response;
        }
    }
}
