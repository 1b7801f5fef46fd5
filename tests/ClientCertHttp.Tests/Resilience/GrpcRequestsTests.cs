using System.Net;
using System.Net.Http.Headers;
using ClientCertHttp.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace ClientCertHttp.Tests.Resilience;

/// <summary>
/// gRPC calls are recognized by their content type and skip the HTTP retry pipeline (its retries and attempt timeout),
/// whatever the client's retry options; other requests keep it.
/// </summary>
public sealed class GrpcRequestsTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("APPLICATION/GRPC+json", true)]
    [InlineData("application/grpc-web", true)]
    [InlineData("application/grpc-web-text+proto", true)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/grpc-other", false)]
    [InlineData("application/json", false)]
    [InlineData("text/plain", false)]
    public void IsGrpc_ContentType_RecognizesGrpcMediaTypesOnly(string mediaType, bool expected)
    {
        using var request = Post(mediaType);

        GrpcRequests.IsGrpc(request).Should().Be(expected);
    }

    [Fact]
    public void IsGrpc_RequestWithoutContent_IsNotGrpcAndCreatesNoHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://payments.invalid/");

        GrpcRequests.IsGrpc(request).Should().BeFalse();
        request.Content.Should().BeNull();
    }

    [Fact]
    public void IsGrpc_ContentTypeSetAsParsedValue_AllocatesNothing()
    {
        using var request = Post("application/grpc");
        GrpcRequests.IsGrpc(request).Should().BeTrue();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var recognized = 0;
        for (var i = 0; i < 100; i++)
        {
            recognized += GrpcRequests.IsGrpc(request) ? 1 : 0;
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        recognized.Should().Be(100);
    }

    [Fact]
    public async Task SendAsync_RetriesOn_GrpcCallSkipsThePipelineAndIsSentOnce()
    {
        var seen = new List<(string? MediaType, bool HasContext)>();
        using var host = ClientCertFixture.BuildHost(services => services
            .AddClientCertHttpClient("payments", o =>
            {
                o.Certificate.Path = fixture.WriteClientPfx();
                o.Certificate.Password = ClientCertFixture.Password;
                o.Retry.RetryNonIdempotentMethods = true;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            })
            .AddHttpMessageHandler(() => new Unavailable(seen)));
        await host.StartAsync();
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        using (var grpc = Post("application/grpc"))
        using (var response = await client.SendAsync(grpc))
        {
            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        seen.Should().Equal(("application/grpc", false));

        // The same 503 to a JSON POST is retried (RetryNonIdempotentMethods), through the pipeline: its first attempt
        // is sent past the pipeline like every request's, the three retries carry the pipeline's context.
        seen.Clear();
        using (var json = Post("application/json"))
        using (var response = await client.SendAsync(json))
        {
            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        seen.Select(s => s.HasContext).Should().Equal(false, true, true, true);
        seen.Should().OnlyContain(s => s.MediaType == "application/json");
        await host.StopAsync();
    }

    private static HttpRequestMessage Post(string mediaType) => new(HttpMethod.Post, "https://payments.invalid/")
    {
        Content = new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } },
    };

    /// <summary>Below the retry pipeline: records each attempt and answers 503, a failure the pipeline retries.</summary>
    private sealed class Unavailable(List<(string? MediaType, bool HasContext)> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add((request.Content?.Headers.ContentType?.MediaType, request.GetResilienceContext() is not null));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
        }
    }
}
