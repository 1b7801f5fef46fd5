using System.Security.Authentication;

namespace ClientCertHttp.Testing.Tests;

public sealed class TlsAlertTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("Alert Tests");

    public static TheoryData<TlsAlert, TlsVersion, string> Alerts()
    {
        var data = new TheoryData<TlsAlert, TlsVersion, string>();
        (TlsAlert Alert, string OpenSslText)[] alerts =
        [
            (TlsAlert.HandshakeFailure, "alert handshake failure"),
            (TlsAlert.BadCertificate, "alert bad certificate"),
            (TlsAlert.UnsupportedCertificate, "alert unsupported certificate"),
            (TlsAlert.CertificateRevoked, "alert certificate revoked"),
            (TlsAlert.CertificateExpired, "alert certificate expired"),
            (TlsAlert.CertificateUnknown, "alert certificate unknown"),
            (TlsAlert.UnknownCA, "alert unknown ca"),
            (TlsAlert.DecryptError, "alert decrypt error"),
            (TlsAlert.InternalError, "alert internal error"),
        ];
        foreach ((TlsAlert alert, string text) in alerts)
        {
            data.Add(alert, TlsVersion.Tls13, text);
            data.Add(alert, TlsVersion.Tls12, text);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public async Task RejectWithTlsAlert_ClientSendsCertificate_ClientReceivesThatAlert(TlsAlert alert, TlsVersion protocol, string openSslText)
    {
        using var leaf = _ca.IssueClientCertificate("CN=alerted-client");
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RejectWithTlsAlert = alert);
        using var client = TestClients.Create(_ca, leaf, protocol);

        using var request = TestClients.Get(server.BaseAddress);
        Func<Task> send = () => client.SendAsync(request);

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        TestClients.Messages(failure.Which).Should().Contain(openSslText);
        server.HandshakeFailures.Should().ContainSingle().Which.Should().Contain("CN=alerted-client").And.Contain(alert.ToString());
        server.Reports.Should().BeEmpty();
    }

    [Fact]
    public async Task RejectWithTlsAlert_Http2OnlyClient_GetsPastAlpnToTheRefusal()
    {
        // Without ALPN from the alert server an HTTP/2-only client would give up before reading anything. With it, the
        // client reads the alert; SocketsHttpHandler usually names it, but under load its HTTP/2 set-up can report
        // only that the server did not complete the HTTP/2 handshake (a race in the client, not on the wire).
        using var leaf = _ca.IssueClientCertificate("CN=h2-client");
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RejectWithTlsAlert = TlsAlert.CertificateRevoked);
        using var client = TestClients.Create(_ca, leaf, TlsVersion.Tls13);

        Func<Task> send = () => TestClients.SendAsync(client, server.BaseAddress, new Version(2, 0));

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        TestClients.Messages(failure.Which).Should().NotContain("unable to establish HTTP/2 connection")
            .And.ContainAny("alert certificate revoked", "did not complete the HTTP/2 handshake");
        server.HandshakeFailures.Should().ContainSingle().Which.Should().Contain("CN=h2-client").And.Contain("CertificateRevoked");
    }

    [Theory]
    [InlineData(TlsVersion.Tls13, "alert certificate required")]
    [InlineData(TlsVersion.Tls12, "alert handshake failure")]
    public async Task RejectWithTlsAlert_NoClientCertificate_ClientReceivesOpenSslsOwnAlert(TlsVersion protocol, string openSslText)
    {
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RejectWithTlsAlert = TlsAlert.UnknownCA);
        using var client = TestClients.Create(_ca, clientCertificate: null, protocol);

        using var request = TestClients.Get(server.BaseAddress);
        Func<Task> send = () => client.SendAsync(request);

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        TestClients.Messages(failure.Which).Should().Contain(openSslText).And.NotContain("unknown ca");
        server.HandshakeFailures.Should().ContainSingle().Which.Should().Contain("no client certificate");
    }

    [Fact]
    public async Task RejectWithTlsAlert_ServerChainSent_ClientValidatesServerBeforeAlert()
    {
        // The alert server presents the same certificate and chain as the normal server, so a client that trusts the
        // CA gets as far as sending its certificate; one that does not trust it fails on its own side first.
        using var leaf = _ca.IssueClientCertificate();
        using var otherCa = TestCertificateAuthority.Create("Other Root");
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RejectWithTlsAlert = TlsAlert.UnknownCA);
        using var client = TestClients.Create(otherCa, leaf, TlsVersion.Tls13);

        using var request = TestClients.Get(server.BaseAddress);
        Func<Task> send = () => client.SendAsync(request);

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        failure.Which.InnerException.Should().BeOfType<AuthenticationException>();
        TestClients.Messages(failure.Which).Should().NotContain("alert unknown ca");
    }

    [Fact]
    public async Task StartAsync_AlertAndStatusCodeCombined_Throws()
    {
        Func<Task> start = () => MtlsTestServer.StartAsync(_ca, o =>
        {
            o.RejectWithTlsAlert = TlsAlert.BadCertificate;
            o.RejectionStatusCode = 400;
        });

        await start.Should().ThrowAsync<ArgumentException>().WithMessage("*cannot be combined*");
    }

    [Theory]
    [InlineData(TlsAlert.UnknownCA, "alert unknown ca")]
    [InlineData(TlsAlert.CertificateRequired, "alert certificate required")]
    [InlineData(TlsAlert.HandshakeFailure, "alert handshake failure")]
    public async Task RejectClientHelloWithTlsAlert_AnyClient_ReceivesThatAlertBeforeAnyHandshake(TlsAlert alert, string openSslText)
    {
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RejectClientHelloWithTlsAlert = alert);
        using var client = TestClients.Create(_ca, clientCertificate: null);

        using var request = TestClients.Get(server.BaseAddress);
        Func<Task> send = () => client.SendAsync(request);

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        TestClients.Messages(failure.Which).Should().Contain(openSslText);
        server.HandshakeFailures.Should().ContainSingle().Which.Should().Contain("ClientHello").And.Contain(alert.ToString());
        server.Reports.Should().BeEmpty();
    }

    [Theory]
    [InlineData(TlsVersion.Tls12, "Tls12")]
    [InlineData(TlsVersion.Tls13, "Tls13")]
    public async Task SslProtocols_Restricted_IsWhatTheHandshakeNegotiates(TlsVersion version, string expected)
    {
        using var leaf = _ca.IssueClientCertificate("CN=versioned-client");
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.SslProtocols = TestClients.ToSslProtocols(version));
        using var client = TestClients.Create(_ca, leaf);

        using var response = await TestClients.SendAsync(client, server.BaseAddress);

        (await MtlsTestServer.ReadReportAsync(response)).TlsProtocol.Should().Be(expected);
    }

    [Fact]
    public async Task SslProtocols_Tls12WithAnAlert_RefusesDuringTheHandshake()
    {
        // Under TLS 1.2 the server's verdict comes before the client's Finished: the handshake itself fails.
        using var leaf = _ca.IssueClientCertificate("CN=tls12-alerted");
        await using var server = await MtlsTestServer.StartAsync(_ca, o =>
        {
            o.RejectWithTlsAlert = TlsAlert.BadCertificate;
            o.SslProtocols = TestClients.ToSslProtocols(TlsVersion.Tls12);
        });
        using var client = TestClients.Create(_ca, leaf);

        Func<Task> send = () => TestClients.SendAsync(client, server.BaseAddress);

        var failure = await send.Should().ThrowAsync<HttpRequestException>();
        failure.Which.HttpRequestError.Should().Be(HttpRequestError.SecureConnectionError, "the TLS handshake failed");
        TestClients.Messages(failure.Which).Should().Contain("alert bad certificate");
    }

    [Fact]
    public async Task StartAsync_ContradictoryAlertOptions_AreRefusedWithTheReason()
    {
        var both = () => MtlsTestServer.StartAsync(_ca, o =>
        {
            o.RejectClientHelloWithTlsAlert = TlsAlert.UnknownCA;
            o.RejectWithTlsAlert = TlsAlert.UnknownCA;
        });
        var requiredAfterCertificate = () => MtlsTestServer.StartAsync(_ca, o => o.RejectWithTlsAlert = TlsAlert.CertificateRequired);
        var oldProtocol = () => MtlsTestServer.StartAsync(_ca, o => o.SslProtocols = Enum.Parse<SslProtocols>("Tls11"));

        (await both.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("cannot be combined");
        (await requiredAfterCertificate.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("OpenSSL sends that alert itself");
        (await oldProtocol.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Tls12 and Tls13");
    }

    public void Dispose() => _ca.Dispose();
}
