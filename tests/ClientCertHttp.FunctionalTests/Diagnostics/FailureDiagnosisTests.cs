using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests.Diagnostics;

/// <summary>
/// The diagnosis a failed request carries, against the real Kestrel test bed, over HTTP/1.1 and HTTP/2: the server
/// rejecting our certificate, our trust rejecting the server, a server that never asks for a certificate, the network.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class FailureDiagnosisTests(MtlsFixture fixture)
{
    private const string Client = "payments";

    public static TheoryData<HttpProtocols> Protocols => [HttpProtocols.Http1, HttpProtocols.Http2];

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Send_ServerTrustsAnotherRoot_DiagnosisSaysTheServerRejectedUsAndOurChainDoesNotMatch(HttpProtocols protocols)
    {
        using var otherCa = TestCertificateAuthority.Create("ClientCertHttp Other Client CA");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.TrustedClientRoots = [otherCa.Root];
            o.SendAcceptableClientCaNames = true;
            o.Protocols = protocols;
        });
        using var host = await StartClientAsync(server.BaseAddress);

        var act = () => SendAsync(host, protocols);

        var thrown = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        thrown.Reason.Should().Be(ClientCertificateFailureReason.ClientCertificateRejectedByServer);
        var diagnosis = thrown.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.ClientCertificateRequested.Should().BeTrue();
        diagnosis.AcceptableIssuers.Should().Equal(otherCa.Root.Subject);
        diagnosis.ClientChainMatchesAcceptableIssuers.Should().BeFalse();
        diagnosis.ClientCertificateThumbprint.Should().Be(fixture.ClientThumbprint);
        diagnosis.Endpoint.Should().Be($"127.0.0.1:{server.Port}");
        thrown.Message.Should().Contain("Diagnosis: The server rejected this client's certificate")
            .And.Contain(otherCa.Root.Subject)
            .And.Contain("no certificate of this client's chain")
            .And.NotContain("sent without intermediates", "the intermediate is sent")
            .And.NotContain(MtlsFixture.Password);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Send_IntermediateNotSent_DiagnosisPointsAtTheMissingIntermediate(HttpProtocols protocols)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.SendAcceptableClientCaNames = true;
            o.Protocols = protocols;
        });
        using var host = await StartClientAsync(server.BaseAddress, o => o.Certificate.Path = WriteLeafOnlyPfx());

        var act = () => SendAsync(host, protocols);

        var diagnosis = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.AcceptableIssuers.Should().Equal(fixture.Ca.Root.Subject);
        diagnosis.ClientChainMatchesAcceptableIssuers.Should().BeFalse("the leaf alone names only the intermediate, which the server does not list");
        diagnosis.Summary.Should().Contain($"sent without intermediates: if its issuer '{fixture.Ca.Intermediate.Subject}' is an intermediate CA under one of them");
    }

    [Fact]
    public async Task Send_IntermediateExpiredWhileRunning_DiagnosisNamesIt()
    {
        // Issue 14, item 2: the client started while the intermediate was valid; it has expired since, and the server
        // rejects the chain. The diagnosis must name the expired intermediate, not only the CA question.
        var now = DateTimeOffset.UtcNow;
        using var chain = ExpiredIntermediateChain.Create(now);
        var path = chain.WritePfx(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), MtlsFixture.Password);
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [chain.Root]);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now.AddHours(-3));
        using var host = await MtlsFixture.StartHostAsync(services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddClientCertHttpClient(Client, o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
                o.Certificate.Path = path;
                o.Reload.Enabled = false;
            });
        });
        time.SetUtcNow(DateTimeOffset.UtcNow);

        var act = () => SendAsync(host, HttpProtocols.Http1);

        var diagnosis = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.Summary.Should().Contain($"the intermediate '{ExpiredIntermediateChain.IntermediateSubject}'").And.Contain("that is sent expired on");
    }

    [Fact]
    public async Task Diagnose_CertificateAlertFromAServerThatAsksOnlyAfterTheHandshake_IsARejectionNotANonRequest()
    {
        // Issue 14, item 1: Apache asks for the certificate per location, after the initial handshake (renegotiation or
        // TLS 1.3 post-handshake authentication), and refuses it with an alert. The diagnostic handshake is an initial
        // one and sees no request; it used to override the alert and report "not requested". The server here asks for
        // no certificate in its handshake (the probe's view); the failure is the exception chain such a refusal
        // produces on .NET 10/Linux (OpenSSL's alert innermost), which no test server here can provoke after the handshake.
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate);
        using var host = await StartClientAsync(server.BaseAddress);
        var failure = new HttpRequestException(
            HttpRequestError.Unknown,
            "An error occurred while sending the request.",
            new IOException("Unable to read data from the transport connection.", new CryptographicException("error:0A000418:SSL routines::tlsv1 alert unknown ca")));

        var diagnosis = await host.Services.GetRequiredService<IClientCertificateDiagnostics>()
            .DiagnoseAsync(Client, new Uri(server.BaseAddress, "secure"), failure);

        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.ClientCertificateRequested.Should().BeTrue();
        diagnosis.TlsAlert.Should().Be("unknown ca");
        diagnosis.Summary.Should().Contain("after the TLS handshake").And.NotContain("did not ask for a client certificate");
    }

    [Fact]
    public async Task Send_LeafIssuedByARootInTheFile_DiagnosisSaysTheRootIsNotSentRatherThanAnIntermediateIsMissing()
    {
        // Issue 14, item 3: the root in the file is rightly not sent; the diagnosis used to suggest a missing intermediate.
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.SendAcceptableClientCaNames = true);
        var (path, rootSubject) = WriteRootIssuedPfx();
        using var host = await StartClientAsync(server.BaseAddress, o => o.Certificate.Path = path);

        var act = () => SendAsync(host, HttpProtocols.Http1);

        var diagnosis = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.Summary.Should().Contain($"issued directly by the root '{rootSubject}', which is in the certificate source")
            .And.Contain("the server must trust that root itself")
            .And.NotContain("sent without intermediates");
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task DiagnoseResponse_ServerAcceptsOurCaButAnswers403_SaysTheCaIsAccepted(HttpProtocols protocols)
    {
        var diagnosis = await DiagnoseForbiddenAsync(protocols, requestCertificate: true);

        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.ClientCertificateRequested.Should().BeTrue();
        diagnosis.ClientChainMatchesAcceptableIssuers.Should().BeTrue();
        diagnosis.Summary.Should().Contain("The CA is accepted").And.Contain("access rules");
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Send_OurTrustRejectsTheServer_DiagnosisNamesOurCheckWithoutProbing(HttpProtocols protocols)
    {
        using var otherCa = TestCertificateAuthority.Create("ClientCertHttp Other Server CA");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o =>
        {
            o.TrustedClientRoots = [fixture.Ca.Root];
            o.Protocols = protocols;
        });
        using var host = await StartClientAsync(server.BaseAddress);

        var act = () => SendAsync(host, protocols);

        var thrown = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        var diagnosis = thrown.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ServerCertificateRejected);
        diagnosis.ServerCertificateFailure.Should().NotBeNull();
        diagnosis.Summary.Should().Contain("This client's trust checks rejected the server's certificate").And.Contain("ServerTrust");
        thrown.Message.Should().Contain("Diagnosis: This client's trust checks rejected");
        host.Services.GetRequiredService<FailureDiagnoser>().ProbeCount.Should().Be(0, "the rejection itself is the evidence");
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task DiagnoseResponse_ServerNeverAsksForACertificateAndAnswers403_SaysNoCertificateWasRequested(HttpProtocols protocols)
    {
        var diagnosis = await DiagnoseForbiddenAsync(protocols, requestCertificate: false);

        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateNotRequested);
        diagnosis.ClientCertificateRequested.Should().BeFalse();
        diagnosis.StatusCode.Should().Be(403);
        diagnosis.Summary.Should().Contain("did not ask for a client certificate").And.Contain("HTTP 403");
    }

    [Fact]
    public async Task Send_ServerAnswersWithATlsAlert_DiagnosisCarriesTheAlert()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectClientHelloWithTlsAlert = TlsAlert.UnknownCA);
        using var host = await StartClientAsync(server.BaseAddress);

        var act = () => SendAsync(host, HttpProtocols.Http1);

        var thrown = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        thrown.Reason.Should().Be(ClientCertificateFailureReason.ClientCertificateRejectedByServer);
        var diagnosis = thrown.Diagnosis!;
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.TlsAlert.Should().Be("unknown ca");
        diagnosis.AcceptableIssuers.Should().BeEmpty("the server never got as far as a certificate request");
        diagnosis.Summary.Should().Contain("it sent the TLS alert 'unknown ca'").And.Contain("could not tell which CAs it accepts");
    }

    [Fact]
    public async Task Send_ClosedPort_DiagnosisSaysNetwork()
    {
        var closed = new Uri($"https://127.0.0.1:{ClosedPort()}/");
        using var host = await StartClientAsync(closed, o => o.Retry.Delay = TimeSpan.FromMilliseconds(10));

        var act = () => SendAsync(host, HttpProtocols.Http1);

        var thrown = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        thrown.Reason.Should().Be(ClientCertificateFailureReason.ConnectionFailed);
        thrown.HttpRequestError.Should().Be(HttpRequestError.ConnectionError, "the platform's error kind is kept");
        thrown.Diagnosis!.Side.Should().Be(ClientCertHttpFailureSide.Network);
        thrown.Message.Should().Contain("Diagnosis: No connection could be made").And.Contain("ConnectionRefused");
        host.Services.GetRequiredService<FailureDiagnoser>().ProbeCount.Should().Be(0);
    }

    [Fact]
    public async Task DiagnoseAsync_RetriesOff_GivesTheSameDiagnosisForThePlatformsException()
    {
        using var otherCa = TestCertificateAuthority.Create("ClientCertHttp Other Client CA 2");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.TrustedClientRoots = [otherCa.Root];
            o.SendAcceptableClientCaNames = true;
        });
        using var host = await StartClientAsync(server.BaseAddress, o => o.Retry.Enabled = false);
        var uri = new Uri(server.BaseAddress, "whoami");

        var act = () => SendAsync(host, HttpProtocols.Http1);

        var thrown = (await act.Should().ThrowAsync<HttpRequestException>()).Which;
        thrown.Should().NotBeOfType<ClientCertHttpRequestException>("with retries off the platform's exception is thrown unchanged");
        var diagnosis = await host.Services.GetRequiredService<IClientCertificateDiagnostics>().DiagnoseAsync(Client, uri, thrown);
        diagnosis.Side.Should().Be(ClientCertHttpFailureSide.ClientCertificateRejected);
        diagnosis.ClientChainMatchesAcceptableIssuers.Should().BeFalse();
    }

    [Fact]
    public async Task Send_RepeatedRejections_ProbeTheServerOnceWithinTheReuseWindow()
    {
        using var otherCa = TestCertificateAuthority.Create("ClientCertHttp Other Client CA 3");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);
        using var host = await StartClientAsync(server.BaseAddress);

        for (var i = 0; i < 3; i++)
        {
            var act = () => SendAsync(host, HttpProtocols.Http1);
            (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which.Diagnosis!.ClientCertificateRequested.Should().BeTrue();
        }

        host.Services.GetRequiredService<FailureDiagnoser>().ProbeCount.Should().Be(1);
    }

    /// <summary>A server that answers every request with 403; it asks for a certificate (listing our root) or not at all.</summary>
    private async Task<ClientCertHttpFailureDiagnosis> DiagnoseForbiddenAsync(HttpProtocols protocols, bool requestCertificate)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.ClientCertificateMode = requestCertificate ? Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate : Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
            o.SendAcceptableClientCaNames = requestCertificate;
            o.Protocols = protocols;
            o.RequestHandler = async context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.CompleteAsync();
                return true;
            };
        });
        using var host = await StartClientAsync(server.BaseAddress);

        using var response = await SendAsync(host, protocols);
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        return await host.Services.GetRequiredService<IClientCertificateDiagnostics>().DiagnoseResponseAsync(Client, response);
    }

    private static async Task<HttpResponseMessage> SendAsync(IHost host, HttpProtocols protocols)
    {
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        using var request = new HttpRequestMessage(HttpMethod.Get, "whoami")
        {
            Version = protocols == HttpProtocols.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        return await client.SendAsync(request);
    }

    private Task<IHost> StartClientAsync(Uri baseAddress, Action<ClientCertHttpOptions>? configure = null) =>
        MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient(Client, o =>
        {
            fixture.Configure(o);
            o.BaseAddress = baseAddress;
            configure?.Invoke(o);
        }));

    /// <summary>A client certificate issued directly by its own root (no intermediate), with that root in the PFX.</summary>
    private (string Path, string RootSubject) WriteRootIssuedPfx()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=ClientCertHttp Own Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=root-issued-client", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var issued = leafRequest.Create(root, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(16));
        using var leaf = issued.CopyWithPrivateKey(leafKey);
        using var publicRoot = X509CertificateLoader.LoadCertificate(root.RawData);
        var path = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx");
        File.WriteAllBytes(path, new X509Certificate2Collection { leaf, publicRoot }.Export(X509ContentType.Pkcs12, MtlsFixture.Password)!);
        return (path, root.Subject);
    }

    private string WriteLeafOnlyPfx()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=leaf-only-client");
        return fixture.Ca.WritePfx(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), leaf, MtlsFixture.Password, includeIntermediate: false);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
