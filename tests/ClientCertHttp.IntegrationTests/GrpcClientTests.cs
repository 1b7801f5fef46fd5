using ClientCertHttp.IntegrationTests.Grpc;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.IntegrationTests;

/// <summary>
/// <c>AddGrpcClient&lt;T&gt;().AddClientCertificate(...)</c> against a real Grpc.AspNetCore service on the test kit's
/// Kestrel mTLS server, over HTTP/2, with the client's default retry options: gRPC calls skip the HTTP retry pipeline.
/// </summary>
[Collection(IntegrationGroup.Name)]
public sealed class GrpcClientTests(IntegrationFixture fixture)
{
    private const string Client = "echo";

    private static readonly TimeSpan DefaultAttemptTimeout = new ClientCertHttpRetryOptions().AttemptTimeout;

    [Fact]
    public async Task Unary_AddGrpcClientWithClientCertificate_ServerSeesTheCertificateAndChainOverHttp2()
    {
        await using var server = await fixture.StartServerAsync();
        using var host = await StartClientAsync(server);

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().UnaryAsync(new EchoRequest { Text = "hello" });

        reply.Text.Should().Be("hello");
        reply.ClientSubject.Should().Be(IntegrationFixture.ClientSubject);
        reply.SentChainThumbprints.Should().Equal(fixture.Ca.Intermediate.Thumbprint);
        reply.Protocol.Should().Be("HTTP/2");
    }

    [Fact]
    public async Task ServerStreaming_FirstMessageLaterThanTheDefaultAttemptTimeout_IsReceived()
    {
        await using var server = await fixture.StartServerAsync();
        using var host = await StartClientAsync(server);

        // A subscription whose first event comes after the default attempt timeout (10 s): until then the response
        // has no headers, so an HTTP attempt timeout would abandon the call. The wait is the server's, so the call
        // outlives the timeout by construction.
        using var call = host.Services.GetRequiredService<Echo.EchoClient>().ServerStream(new StreamRequest
        {
            Count = 2,
            IntervalMilliseconds = (int)(DefaultAttemptTimeout + TimeSpan.FromSeconds(1)).TotalMilliseconds,
        });
        var received = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            received.Add(reply.Text);
        }

        received.Should().Equal("0", "1");
        call.GetStatus().StatusCode.Should().Be(StatusCode.OK);
    }

    [Fact]
    public async Task ClientStreaming_UploadLongerThanTheDefaultAttemptTimeout_EveryMessageReachesTheServer()
    {
        await using var server = await fixture.StartServerAsync();
        using var host = await StartClientAsync(server);

        // One message a second for one second more than the default attempt timeout: the server answers (and sends
        // headers) only once the upload is complete.
        var texts = Enumerable.Range(0, (int)DefaultAttemptTimeout.TotalSeconds + 2).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var call = host.Services.GetRequiredService<Echo.EchoClient>().ClientStream();
        foreach (var text in texts)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call;

        reply.Text.Should().Be(string.Join(',', texts));
        reply.ClientSubject.Should().Be(IntegrationFixture.ClientSubject);
    }

    [Fact]
    public async Task Unary_ServerRejectsTheClientCertificate_RpcExceptionCarriesTheDiagnosedClientCertHttpRequestException()
    {
        // The server trusts another CA only, so it refuses this client's certificate after the handshake.
        using var other = TestCertificateAuthority.Create("Other Integration");
        await using var server = await fixture.StartServerAsync(o => o.TrustedClientRoots = [other.Root]);
        using var host = await StartClientAsync(server);

        var call = async () => await host.Services.GetRequiredService<Echo.EchoClient>().UnaryAsync(new EchoRequest { Text = "hello" });

        var rpc = (await call.Should().ThrowAsync<RpcException>()).Which;
        rpc.StatusCode.Should().Be(StatusCode.Unavailable);
        var diagnosed = rpc.Status.DebugException.Should().BeOfType<ClientCertHttpRequestException>().Subject;
        rpc.InnerException.Should().BeSameAs(diagnosed);
        diagnosed.ClientName.Should().Be(Client);
        diagnosed.Reason.Should().Be(ClientCertificateFailureReason.ClientCertificateRejectedByServer);
        diagnosed.Attempts.Should().Be(1, "gRPC calls are not retried by the HTTP pipeline, not even after a reload");
        diagnosed.Diagnosis.Should().NotBeNull();
        diagnosed.Message.Should().Contain(IntegrationFixture.ClientSubject);
        HttpFailureClassifier.Classify(rpc).Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
        server.HandshakeFailures.Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("2.0", 1)]
    [InlineData(null, 2)]
    public async Task Warmup_HttpVersion_DecidesWhetherTheFirstCallFindsItsConnectionWarm(string? version, int expectedConnections)
    {
        await using var server = await fixture.StartServerAsync();
        using var host = await StartClientAsync(server, o =>
        {
            o.Warmup.Connections = 1;
            o.Warmup.HttpVersion = version is null ? null : Version.Parse(version);
        });

        // Host start waits for the warm-up: one connection, handshaken, before any call.
        server.TotalConnectionCount.Should().Be(1);
        var warm = server.Reports.Should().ContainSingle().Subject;
        warm.HttpProtocol.Should().Be(version is null ? "HTTP/1.1" : "HTTP/2");

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().UnaryAsync(new EchoRequest { Text = "first" });

        server.TotalConnectionCount.Should().Be(expectedConnections);
        if (expectedConnections == 1)
        {
            reply.ConnectionId.Should().Be(warm.ConnectionId, "the first gRPC call goes over the warm HTTP/2 connection");
        }
        else
        {
            reply.ConnectionId.Should().NotBe(warm.ConnectionId, "gRPC calls need HTTP/2 and cannot use a warm HTTP/1.1 connection");
        }
    }

    private Task<IHost> StartClientAsync(MtlsTestServer server, Action<ClientCertHttpOptions>? configure = null) =>
        IntegrationFixture.StartHostAsync(services => services
            .AddGrpcClient<Echo.EchoClient>(Client, o => o.Address = server.BaseAddress)
            .AddClientCertificate(o =>
            {
                fixture.Configure(o, server);
                configure?.Invoke(o);
            }));
}
