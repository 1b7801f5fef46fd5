using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClientCertHttp.FunctionalTests.Diagnostics;

/// <summary>
/// The diagnostic handshake against real loopback servers: Kestrel (which checks the client certificate after the
/// handshake and closes the connection) and a server that rejects with a TLS alert.
/// </summary>
public sealed class TlsHandshakeProbeTests(MtlsFixture fixture) : IClassFixture<MtlsFixture>
{
    [Theory]
    [InlineData(HttpProtocols.Http1AndHttp2, "h2")]
    [InlineData(HttpProtocols.Http1, "http/1.1")]
    public async Task ProbeAsync_ServerListingAcceptableCas_ReportsTheRequestTheNamesAndOurMatch(HttpProtocols protocols, string alpn)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.SendAcceptableClientCaNames = true;
            o.Protocols = protocols;
        });
        using var leaf = fixture.Ca.IssueClientCertificate("CN=probe-client");

        var result = await TlsHandshakeProbe.ProbeAsync(Options(server.Port, [leaf, fixture.Ca.Intermediate]));

        result.ClientCertificateRequested.Should().BeTrue();
        result.AcceptableIssuers.Should().Equal(fixture.Ca.Root.Subject);
        result.ClientChainMatchesAcceptableIssuers.Should().BeTrue();
        result.MatchedAcceptableIssuer.Should().Be(fixture.Ca.Root.Subject);
        result.ClientCertificateSent.Should().BeFalse("the probe presents no certificate unless told to");
        result.Protocol.ToString().Should().Be("Tls13", "the loopback server and client both prefer TLS 1.3");
        result.CipherSuite.Should().NotBeNull();
        result.ApplicationProtocol.Should().Be(alpn);
        result.ServerChain.Select(c => c.Thumbprint).Should().StartWith(server.ServerCertificate.Thumbprint);
        result.ServerCertificateAccepted.Should().BeTrue();
        result.ServerCertificateErrors.Should().Be(SslPolicyErrors.None);
        result.Outcome.Should().Be(TlsProbeOutcome.RejectedAfterHandshake, "Kestrel closes the connection of a client that sent no certificate");
        result.Error.Should().Contain("closed the connection");
    }

    [Fact]
    public async Task ProbeAsync_ChainFromAnotherCa_DoesNotMatchTheAcceptableNames()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.SendAcceptableClientCaNames = true);
        using var other = TestCertificateAuthority.Create("ClientCertHttp Probe Other");
        using var leaf = other.IssueClientCertificate("CN=stranger");

        var result = await TlsHandshakeProbe.ProbeAsync(Options(server.Port, [leaf, other.Intermediate]) with { ClientCertificate = leaf });

        result.AcceptableIssuers.Should().Equal(fixture.Ca.Root.Subject);
        result.ClientChainMatchesAcceptableIssuers.Should().BeFalse();
        result.MatchedAcceptableIssuer.Should().BeNull();
        result.ClientCertificateSent.Should().BeTrue();
        result.Outcome.Should().Be(TlsProbeOutcome.RejectedAfterHandshake);
    }

    [Fact]
    public async Task ProbeAsync_ServerNotAskingForACertificate_SaysSo()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate;
            o.Protocols = HttpProtocols.Http1;
        });

        var result = await TlsHandshakeProbe.ProbeAsync(Options(server.Port, []));

        result.ClientCertificateRequested.Should().BeFalse();
        result.AcceptableIssuers.Should().BeEmpty();
        result.Outcome.Should().Be(TlsProbeOutcome.Succeeded);
        result.FirstAnswerLine.Should().StartWith("HTTP/1.1 200");
    }

    [Fact]
    public async Task ProbeAsync_ServerOutsideOurTrust_IsRejectedByOurCheck()
    {
        var result = await TlsHandshakeProbe.ProbeAsync(Options(fixture.Server.Port, []) with { CertificateChainPolicy = null });

        result.Outcome.Should().Be(TlsProbeOutcome.HandshakeFailed);
        result.ServerCertificateAccepted.Should().BeFalse();
        result.ServerCertificateErrors.Should().HaveFlag(SslPolicyErrors.RemoteCertificateChainErrors);
        result.ServerChain.Should().NotBeEmpty();
        result.TlsAlert.Should().BeNull();
    }

    [Theory]
    [InlineData(TlsAlert.UnknownCA, "unknown ca")]
    [InlineData(TlsAlert.BadCertificate, "bad certificate")]
    [InlineData(TlsAlert.CertificateRequired, "certificate required")]
    [InlineData(TlsAlert.HandshakeFailure, "handshake failure")]
    public async Task ProbeAsync_ServerSendingAnAlert_ReportsTheAlert(TlsAlert alert, string expected)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectClientHelloWithTlsAlert = alert);

        var result = await TlsHandshakeProbe.ProbeAsync(Options(server.Port, []));

        result.Outcome.Should().Be(TlsProbeOutcome.HandshakeFailed);
        result.TlsAlert.Should().Be(expected);
        result.Error.Should().Contain(expected);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_ReportsConnectionRefused()
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var result = await TlsHandshakeProbe.ProbeAsync(Options(port, []));

        result.Outcome.Should().Be(TlsProbeOutcome.ConnectFailed);
        result.SocketError.Should().Be(SocketError.ConnectionRefused);
        result.ClientCertificateRequested.Should().BeNull();
    }

    [Theory]
    [InlineData("CN=ClientCertHttp Functional Root CA", true)]
    [InlineData("cn=clientcerthttp functional root ca", true)]
    [InlineData("CN=ClientCertHttp Functional Intermediate CA", true)]
    [InlineData("CN=Somebody Else", false)]
    [InlineData("not a distinguished name ,,==", false)]
    public void MatchAcceptableIssuer_ComparesIssuerAndSubjectNames(string listed, bool matches)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=match-client");

        var matched = TlsHandshakeProbe.MatchAcceptableIssuer([leaf, fixture.Ca.Intermediate], [listed]);

        (matched is not null).Should().Be(matches);
    }

    [Fact]
    public async Task ConnectAsync_WithACertificateContext_SendsTheFullChainAndHandsTheConnectionOver()
    {
        // The clientcert probe's real connection: the handshake the library's handlers make, then a request of its own.
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.Protocols = HttpProtocols.Http1);
        using var leaf = fixture.Ca.IssueClientCertificate("CN=probe-connection");
        var context = SslStreamCertificateContext.Create(leaf, [fixture.Ca.Intermediate], offline: true);

        await using var connection = await TlsHandshakeProbe.ConnectAsync(Options(server.Port, []) with
        {
            ClientCertificateContext = context,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });

        connection.Result.Outcome.Should().Be(TlsProbeOutcome.Succeeded, connection.Result.Error);
        connection.Result.ClientCertificateSent.Should().BeTrue();
        connection.Result.ClientCertificateRequested.Should().BeTrue();
        connection.Result.RemoteAddress.Should().Be($"127.0.0.1:{server.Port}");
        var stream = connection.Stream.Should().NotBeNull().And.BeAssignableTo<SslStream>().Subject;
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /whoami HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync();
        response.Should().StartWith("HTTP/1.1 200");
        server.Reports.Should().ContainSingle().Which.SentChain.Select(c => c.Thumbprint).Should().Equal(fixture.Ca.Intermediate.Thumbprint);
    }

    [Fact]
    public async Task ConnectAsync_ClosedPort_ReportsTheSocketFailureWithoutAStream()
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var connection = await TlsHandshakeProbe.ConnectAsync(Options(port, []));

        connection.Result.Outcome.Should().Be(TlsProbeOutcome.ConnectFailed);
        connection.Result.Failure.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
        connection.Stream.Should().BeNull();
    }

    private TlsProbeOptions Options(int port, IReadOnlyList<X509Certificate2> chain)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(fixture.Ca.Root);
        return new TlsProbeOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ClientChain = chain,
            CertificateChainPolicy = policy,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }
}
